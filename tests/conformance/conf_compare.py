"""Comparison of modelbridge score output with reference predictions.

A reference is a list of Checks: one output column of ours against one column of reference
values.  Numbers agree by the SPEC rule |a - b| <= atol + rtol*|b| (b the reference) or both
missing; a Tolerance may add a float32 ULP band (ONNX float outputs, JPMML FloatEquivalence).
Labels agree when the strings are equal; cluster identifiers may name one cluster in several
ways (PMML id, name or 1-based index), given as equivalence sets.
"""

import csv
import math
import struct

DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12

MISSING_TOKENS = {"", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "None"}
INF_TOKENS = {"Inf": math.inf, "inf": math.inf, "+Inf": math.inf, "Infinity": math.inf,
              "+inf": math.inf, "-Inf": -math.inf, "-inf": -math.inf, "-Infinity": -math.inf}


class Tolerance:
    """rtol/atol of the agreement rule, optionally widened by a float32 ULP band."""

    def __init__(self, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, ulps=None, source="default"):
        self.rtol = rtol
        self.atol = atol
        self.ulps = ulps          # None, or max float32 ULP distance also accepted
        self.source = source      # where the tolerance comes from (printed)

    def is_default(self):
        return (self.rtol == DEFAULT_RTOL and self.atol == DEFAULT_ATOL and self.ulps is None)

    def describe(self):
        text = "rtol=%g atol=%g" % (self.rtol, self.atol)
        if self.ulps is not None:
            text += " or <=%d float32 ulp" % self.ulps
        return text + " (" + self.source + ")"

    def to_json(self):
        return {"rtol": self.rtol, "atol": self.atol, "float32_ulps": self.ulps,
                "source": self.source}


def pmml_equivalence(precision, zero_threshold, source):
    """JPMML's PMMLEquivalence(p, z) as the SPEC rule: never tighter than the defaults."""
    return Tolerance(max(DEFAULT_RTOL, precision), max(DEFAULT_ATOL, zero_threshold), None, source)


class Check:
    """One column to compare.  kind: 'number', 'label' or 'cluster'."""

    def __init__(self, ours, ref_name, values, kind, tolerance=None, identities=None,
                 optional=False):
        self.ours = ours              # our output column name; '#prob<j>' = j-th probability
        #                               column; kind 'auto' = 'class' if present, else 'prediction'
        self.optional = optional      # a missing column is noted, not a failure
        self.ref_name = ref_name      # the reference column it came from
        self.values = values          # reference cells (strings; None = missing)
        self.kind = kind
        self.tolerance = tolerance or Tolerance()
        self.identities = identities  # cluster: list of sets of equivalent identifiers


def parse_number(cell):
    """float, or None for missing (NaN counts as missing).  Raises ValueError."""
    if cell is None:
        return None
    s = cell.strip()
    if s in MISSING_TOKENS:
        return None
    if s in INF_TOKENS:
        return INF_TOKENS[s]
    v = float(s)
    if math.isnan(v):
        return None
    return v


def is_missing_label(cell):
    return cell is None or cell.strip() in ("", "NA", "N/A")


def labels_agree(a_cell, b_cell):
    """Exact, except that a logical value's spellings agree: R writes TRUE/FALSE, Java and PMML
    true/false."""
    a, b = a_cell.strip(), b_cell.strip()
    if a == b:
        return True
    return a.lower() == b.lower() and a.lower() in ("true", "false")


def f32_key(x):
    """Monotone integer key of x rounded to float32 (adjacent floats differ by 1)."""
    try:
        bits = struct.unpack("<I", struct.pack("<f", x))[0]
    except OverflowError:
        bits = 0xFF800000 if x < 0 else 0x7F800000
    if bits & 0x80000000:
        return -(bits & 0x7FFFFFFF)
    return bits


def numbers_agree(a, b, tol):
    if a is None or b is None:
        return a is None and b is None
    if math.isinf(a) or math.isinf(b):
        return a == b
    if abs(a - b) <= tol.atol + tol.rtol * abs(b):
        return True
    if tol.ulps is not None and abs(f32_key(a) - f32_key(b)) <= tol.ulps:
        return True
    return False


def read_csv(path):
    """(header, rows) with rows as lists of strings; BOM skipped."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return [], []
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if r != []]
    return header, body


def read_columns(path):
    """dict column -> list of cells, plus the header and the row count."""
    header, rows = read_csv(path)
    cols = {h: [] for h in header}
    for r in rows:
        for j, h in enumerate(header):
            cols[h].append(r[j] if j < len(r) else None)
    return header, cols, len(rows)


def compare(checks, out_path, max_worst=3):
    """Compare our CSV with the checks.  Returns (ok, detail dict)."""
    header, cols, nrows = read_columns(out_path)
    detail = {"rows": nrows, "columns": [], "problems": []}
    ok = True
    expected_rows = len(checks[0].values) if checks else 0
    if nrows != expected_rows:
        detail["problems"].append("row count %d, reference has %d" % (nrows, expected_rows))
        ok = False
    prob_cols = [h for h in header if h.startswith("probability(")]
    for chk in checks:
        resolve(chk, header, prob_cols)
        col = {"ours": chk.ours, "reference": chk.ref_name, "kind": chk.kind,
               "tolerance": chk.tolerance.describe()}
        detail["columns"].append(col)
        if chk.ours not in cols:
            col["missing"] = True
            if chk.optional:
                detail.setdefault("notes", []).append(
                    "optional reference column %s not in output" % chk.ref_name)
                continue
            detail["problems"].append("no column '%s' in output (have: %s)" %
                                      (chk.ours, ", ".join(header)))
            ok = False
            continue
        mine = cols[chk.ours]
        n = min(len(mine), len(chk.values))
        bad = []
        max_abs = 0.0
        max_rel = 0.0
        for i in range(n):
            a_cell, b_cell = mine[i], chk.values[i]
            if chk.kind == "number":
                try:
                    a = parse_number(a_cell)
                except ValueError:
                    bad.append((i, a_cell, b_cell))
                    continue
                try:
                    b = parse_number(b_cell)
                except ValueError:
                    b = None
                    if not is_missing_label(b_cell):
                        bad.append((i, a_cell, b_cell))
                        continue
                if a is not None and b is not None and not (math.isinf(a) or math.isinf(b)):
                    d = abs(a - b)
                    max_abs = max(max_abs, d)
                    if b != 0:
                        max_rel = max(max_rel, d / abs(b))
                if not numbers_agree(a, b, chk.tolerance):
                    bad.append((i, a_cell, b_cell))
            elif chk.kind == "cluster":
                if not cluster_agrees(a_cell, b_cell, chk.identities):
                    bad.append((i, a_cell, b_cell))
            else:
                am, bm = is_missing_label(a_cell), is_missing_label(b_cell)
                if am or bm:
                    if am != bm:
                        bad.append((i, a_cell, b_cell))
                elif not labels_agree(a_cell, b_cell):
                    bad.append((i, a_cell, b_cell))
        col["compared"] = n
        col["beyond"] = len(bad)
        if chk.kind == "number":
            col["max_abs"] = max_abs
            col["max_rel"] = max_rel
        if bad:
            ok = False
            col["worst"] = [{"row": i + 1, "ours": a, "reference": b} for i, a, b in
                            worst_rows(bad, chk.kind, max_worst)]
            detail["problems"].append("%s: %d of %d rows differ%s" % (
                chk.ours, len(bad), n,
                (" (max abs %.3g, max rel %.3g)" % (max_abs, max_rel)) if chk.kind == "number" else ""))
    return ok, detail


def resolve(chk, header, prob_cols):
    """Turn the positional and 'auto' column designations into real column names."""
    if chk.kind == "auto":
        if "class" in header:
            chk.ours, chk.kind = "class", "label"
        else:
            chk.ours, chk.kind = "prediction", "number"
    if chk.ours.startswith("#prob"):
        j = int(chk.ours[5:])
        chk.ours = prob_cols[j] if j < len(prob_cols) else "probability(<column %d>)" % (j + 1)


def worst_rows(bad, kind, k):
    if kind != "number":
        return bad[:k]

    def size(item):
        try:
            a, b = parse_number(item[1]), parse_number(item[2])
        except ValueError:
            return math.inf
        if a is None or b is None:
            return math.inf
        return abs(a - b)
    return sorted(bad, key=size, reverse=True)[:k]


def cluster_agrees(a_cell, b_cell, identities):
    am, bm = is_missing_label(a_cell), is_missing_label(b_cell)
    if am or bm:
        return am == bm
    a, b = a_cell.strip(), b_cell.strip()
    if a == b:
        return True
    for ids in identities or []:
        if b in ids:
            return a in ids
    return False
