"""Helpers shared by the CLI tests: running the binary, reading CSVs, the SPEC agreement rule.

Every script takes --cli (the modelbridge binary) and --source (the repository root) and exits
non-zero when a check fails, printing one line per failed check.
"""
import argparse
import csv
import io
import json
import math
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import judges  # noqa: E402,F401  (tests/judges.py: the outside judges and CI=true)

ERROR_RE = re.compile(r"^modelbridge: error: (?P<file>[^:]+):(?:(?P<place>[^:]*(?::[^ :][^:]*)*):)? (?P<msg>.+)$")


class Checker:
    """Collects failures; `check` records one assertion."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAIL: {what}", flush=True)
        return ok

    def finish(self):
        print(f"{self.name}: {self.passed} checks passed, {len(self.failures)} failed")
        sys.exit(1 if self.failures else 0)


def args_parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--cli", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--work", default=None, help="scratch directory (default: a temporary one)")
    return p


def work_dir(args, name):
    import tempfile
    if args.work:
        d = os.path.join(args.work, name)
        os.makedirs(d, exist_ok=True)
        return d
    return tempfile.mkdtemp(prefix=f"mb-{name}-")


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        return json.loads(self.out)

    def error_line(self):
        """The `modelbridge: error:` line of stderr, or None."""
        for line in self.err.splitlines():
            if line.startswith("modelbridge: error:"):
                return line
        return None


def run(cli, *args, stdin=None, cwd=None, binary=False, timeout=300):
    p = subprocess.run([cli, *args], input=stdin, capture_output=True, cwd=cwd, timeout=timeout)
    out = p.stdout if binary else p.stdout.decode("utf-8", "replace")
    return Result(p.returncode, out, p.stderr.decode("utf-8", "replace"))


def read_csv_text(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [], []
    # A blank line is a row with one missing field in a one-column file (SPEC data files).
    return rows[0], [r if r else [""] for r in rows[1:]]


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return read_csv_text(f.read())


def num(s):
    s = s.strip()
    if s in ("", "NA", "NaN", "N/A", "nan"):
        return math.nan
    return float(s)


def agree(a, b, rtol=1e-9, atol=1e-12):
    """SPEC agreement rule, b the reference."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= atol + rtol * abs(b)


def compare_predictions(ours_header, ours_rows, ref_header, ref_rows, rtol=1e-9, atol=1e-12):
    """Compares every column of the reference that our output has (by name).  Returns a list of
    problems (empty when everything agrees)."""
    problems = []
    if len(ours_rows) != len(ref_rows):
        return [f"{len(ours_rows)} rows, reference has {len(ref_rows)}"]
    common = [c for c in ref_header if c in ours_header]
    if not common:
        return [f"no common column: ours {ours_header}, reference {ref_header}"]
    for c in common:
        i, j = ours_header.index(c), ref_header.index(c)
        for r, (a, b) in enumerate(zip(ours_rows, ref_rows)):
            if c == "class":
                if a[i] != b[j] and not (a[i] in ("NA", "") and b[j] in ("NA", "")):
                    problems.append(f"row {r + 1} class {a[i]!r} vs {b[j]!r}")
            elif not agree(num(a[i]), num(b[j]), rtol, atol):
                problems.append(f"row {r + 1} {c}: {a[i]} vs {b[j]}")
        if len(problems) > 5:
            break
    return problems


def testdata_cases(source):
    """(case, dir, meta) of testdata/r, sorted."""
    root = os.path.join(source, "testdata", "r")
    out = []
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        meta = os.path.join(d, "meta.json")
        if os.path.isfile(meta) and os.path.isfile(os.path.join(d, "model.rds")):
            with open(meta) as f:
                out.append((case, d, json.load(f)))
    return out


def is_unsupported(res):
    return res.rc == 2 and "unsupported" in res.err


def listing(d):
    return sorted(os.listdir(d))
