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
import agree as spec_rule  # noqa: E402  (tests/agree.py: the SPEC rule, apart from lib/compare)
import judges  # noqa: E402,F401  (tests/judges.py: the outside judges and CI=true)

ERROR_RE = re.compile(r"^modelbridge: error: (?P<file>[^:]+):(?:(?P<place>[^:]*(?::[^ :][^:]*)*):)? (?P<msg>.+)$")


class Checker:
    """Collects failures; `check` records one assertion."""

    def __init__(self, name, quiet=False):
        self.name = name
        self.failures = []
        self.passed = 0
        self.quiet = quiet  # record failures without printing them (an expected failure's checks)

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            if not self.quiet:
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
        # Start empty: a file left by an earlier run must never be judged in place of a new one
        # (a "writes nothing" check would see the earlier run's output).
        import shutil
        d = os.path.join(args.work, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
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


num = spec_rule.num      # a cell as a number; missing cells are NaN
agree = spec_rule.agree  # SPEC agreement rule, b the reference


def compare_predictions(ours_header, ours_rows, ref_header, ref_rows, rtol=1e-9, atol=1e-12):
    """Compares every column of the reference with our column of the same name (tests/agree.py:
    the SPEC rule; a reference column we lack is a problem).  Returns a list of problems (empty
    when everything agrees)."""
    return spec_rule.compare(ours_header, ours_rows, ref_header, ref_rows, rtol, atol)


def only_columns(header, rows, keep):
    """The columns of a table named in `keep`, in the table's order."""
    idx = [i for i, h in enumerate(header) if h in keep]
    return [header[i] for i in idx], [[r[i] if i < len(r) else "" for i in idx] for r in rows]


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
