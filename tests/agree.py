"""The SPEC agreement rule, written apart from lib/compare so the tests judge modelbridge with a
comparer it does not share.

Two numbers agree when |a - b| <= atol + rtol * |b| (b the reference) or both are missing;
labels must be equal (missing = "" or NA).  A reference column is compared with our column of the
same name (after `rename`); a reference column we do not have is a failure, never skipped.
"""
import csv
import io
import math

MISSING = ("", "NA", "NaN", "N/A", "nan")
RTOL, ATOL = 1e-9, 1e-12


def num(s):
    s = s.strip()
    return math.nan if s in MISSING else float(s)


def agree(a, b, rtol=RTOL, atol=ATOL):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= atol + rtol * abs(b)


def read_table(text):
    """Header and rows; a blank line is a row of one missing field (one-column files)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [], []
    return rows[0], [r if r else [""] for r in rows[1:]]


def read_file(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return read_table(f.read())


def is_label_column(name, cells):
    if name in ("class", "cluster"):
        return True
    for c in cells:
        if c.strip() in MISSING:
            continue
        try:
            float(c)
        except ValueError:
            return True
    return False


def compare(ours_header, ours_rows, ref_header, ref_rows, rtol=RTOL, atol=ATOL, rename=None, limit=5):
    """Problems (empty list: every reference cell agrees)."""
    rename = rename or {}
    oh = [rename.get(c, c) for c in ours_header]
    if len(ours_rows) != len(ref_rows):
        return [f"{len(ours_rows)} rows, reference has {len(ref_rows)}"]
    if not ref_header:
        return ["the reference has no columns"]
    unmatched = [c for c in ref_header if c not in oh]
    if unmatched:
        return [f"reference column(s) {unmatched} not in our output {oh}"]
    problems = []
    for c in ref_header:
        i, j = oh.index(c), ref_header.index(c)
        ref_cells = [r[j] if j < len(r) else "" for r in ref_rows]
        label = is_label_column(c, ref_cells)
        bad = 0
        for r, (o, b) in enumerate(zip(ours_rows, ref_cells)):
            a = o[i] if i < len(o) else ""
            if label:
                ok = a.strip() == b.strip() or (a.strip() in MISSING and b.strip() in MISSING)
            else:
                try:
                    ok = agree(num(a), num(b), rtol, atol)
                except ValueError:
                    ok = False
            if not ok:
                bad += 1
                if len(problems) < limit:
                    problems.append(f"row {r + 1} {c}: {a} vs {b}")
        if bad > limit:
            problems.append(f"{c}: {bad} of {len(ref_rows)} rows differ")
    return problems


def compare_files(ours_path, ref_path, rtol=RTOL, atol=ATOL, rename=None, skip=()):
    """None when every cell of the reference file agrees with ours, else a one-line summary.
    `skip`: reference columns left out on purpose (the caller says why)."""
    oh, orows = read_file(ours_path)
    rh, rrows = read_file(ref_path)
    if skip:
        keep = [i for i, h in enumerate(rh) if h not in skip]
        rh, rrows = [rh[i] for i in keep], [[r[i] if i < len(r) else "" for i in keep] for r in rrows]
    problems = compare(oh, orows, rh, rrows, rtol, atol, rename)
    return None if not problems else "; ".join(problems[:6])


if __name__ == "__main__":
    # Self-check of the rule (runs in a second; no outside input).
    assert agree(1.0, 1.0 + 0.9e-9) and not agree(1.0, 1.0 + 1.1e-9 * 1.0 + 1e-12)
    assert agree(math.nan, math.nan) and not agree(math.nan, 0.0)
    assert agree(0.0, 1e-12) and not agree(0.0, 2e-12)
    h, rows = ["prediction"], [["1"], ["2"]]
    assert compare(h, rows, ["prediction"], [["1"], ["2"]]) == []
    assert compare(h, rows, ["prediction", "class"], [["1", "a"], ["2", "b"]])  # unmatched column
    assert compare(["class"], [["a"], ["NA"]], ["class"], [["a"], [""]]) == []
    assert compare(["class"], [["a"]], ["class"], [["b"]])
    print("agree.py: self-check passed")
