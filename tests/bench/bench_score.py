#!/usr/bin/env python3
"""End-to-end scoring throughput: `modelbridge score` over a generated CSV of N rows.

Usage: bench_score.py --cli build/modelbridge [--rows 1000000] [--case testdata/r/glm_logit_factor ...]

For each case, the CSV is made by repeating the case's input.csv rows (so every column and level
is one the model knows) to N rows, then scored three times into /dev/null; the best wall time,
rows per second, MB per second of input and the peak resident memory are printed.  A benchmark,
not a test: numbers depend on the machine.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time


def make_csv(case, rows, path):
    with open(os.path.join(case, "input.csv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    header, body = lines[0], [l for l in lines[1:] if l.strip()]
    with open(path, "w", encoding="utf-8") as out:
        out.write(header + "\n")
        n = 0
        while n < rows:
            chunk = body[: rows - n]
            out.write("\n".join(chunk) + "\n")
            n += len(chunk)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--case", action="append")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cases = args.case or ["testdata/r/glm_logit_factor", "testdata/r/lm_poly3", "testdata/r/rf_class", "testdata/r/gbm_bernoulli"]
    tmp = tempfile.mkdtemp(prefix="mb-bench-")
    print(f"{'case':<28} {'rows':>9} {'best s':>8} {'rows/s':>12} {'MB/s':>8} {'max RSS MB':>11}")
    for case in cases:
        csv = os.path.join(tmp, os.path.basename(case) + ".csv")
        make_csv(case, args.rows, csv)
        size_mb = os.path.getsize(csv) / 1e6
        best = None
        rss = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            r = subprocess.run(["/usr/bin/time", "-f", "%M", args.cli, "score", os.path.join(case, "model.rds"), csv,
                                "-o", "/dev/null", "--no-progress"], capture_output=True, text=True)
            dt = time.perf_counter() - t0
            if r.returncode != 0:
                print(f"{case}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
                break
            rss = max(rss, int(r.stderr.strip().splitlines()[-1]) // 1024)
            best = dt if best is None else min(best, dt)
        if best:
            print(f"{os.path.basename(case):<28} {args.rows:>9} {best:>8.2f} {args.rows / best:>12,.0f} {size_mb / best:>8.1f} {rss:>11}")
        os.remove(csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
