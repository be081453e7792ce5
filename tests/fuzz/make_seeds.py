#!/usr/bin/env python3
"""Gathers the seed corpus of each fuzz target from testdata into OUT/<target>/ (emptied first):
  rds    the .rds models of testdata/r and the fixtures of testdata/r-fixtures/rds, each also
         inflated when gzip-compressed, so that mutations reach the item reader;
  rjson  the jsonlite files of testdata/r and testdata/r-fixtures/rjson;
  pmml   testdata/pmml; onnx: testdata/onnx;
  csv    the input.csv files of testdata/r, after the target's option byte;
  rexpr  the R parser's cases (first column of testdata/r-fixtures/rjson/rparse_cases.tsv).
With --cli MODELBRIDGE (a release build), every model of testdata/r is also converted to PMML and
ONNX for the pmml and onnx seeds, which testdata holds few valid files of.
Files over 64 KiB are left out (the fuzzers' -max_len).
Usage: make_seeds.py SOURCE_DIR OUT_DIR [--cli MODELBRIDGE]"""
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import sys

MAX = 64 * 1024


def files(root, accept):
    for d, _, names in sorted(os.walk(root)):
        for n in sorted(names):
            p = os.path.join(d, n)
            if accept(n) and os.path.getsize(p) <= MAX:
                yield p


def main():
    src, out = sys.argv[1], sys.argv[2]
    td = os.path.join(src, "testdata")
    seeds = {t: [] for t in ("rds", "rjson", "pmml", "onnx", "csv", "rexpr")}
    rds_kinds = (".bin.rds", ".ascii.rds", ".gz3.rds")
    for root in (os.path.join(td, "r"), os.path.join(td, "r-fixtures", "rds")):
        for p in files(root, lambda n: n == "model.rds" or n.endswith(rds_kinds)):
            data = open(p, "rb").read()
            seeds["rds"].append(data)
            if data[:2] == b"\x1f\x8b":
                try:
                    raw = gzip.decompress(data)
                    if len(raw) <= MAX:
                        seeds["rds"].append(raw)
                except (OSError, EOFError):
                    pass
    for root in (os.path.join(td, "r"), os.path.join(td, "r-fixtures", "rjson")):
        seeds["rjson"] += [open(p, "rb").read() for p in files(
            root, lambda n: n.endswith(".json") and n not in ("case.json", "meta.json"))]
    seeds["pmml"] = [open(p, "rb").read() for p in files(os.path.join(td, "pmml"), lambda n: n.endswith(".pmml"))]
    seeds["onnx"] = [open(p, "rb").read() for p in files(os.path.join(td, "onnx"), lambda n: n.endswith(".onnx"))]
    cli = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--cli" else None
    if cli and os.access(cli, os.X_OK):
        with tempfile.TemporaryDirectory() as tmp:
            for p in files(os.path.join(td, "r"), lambda n: n == "model.rds"):
                for fmt in ("pmml", "onnx"):
                    o = os.path.join(tmp, "m." + fmt)
                    subprocess.run([cli, "convert", p, o, "--force", "-q"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    if os.path.exists(o) and os.path.getsize(o) <= MAX:
                        seeds[fmt].append(open(o, "rb").read())
                    if os.path.exists(o):
                        os.remove(o)
    for p in files(os.path.join(td, "r"), lambda n: n == "input.csv"):
        data = open(p, "rb").read()
        seeds["csv"] += [b"\x00" + data[:4096], b"\x0c" + data[:512]]
    with open(os.path.join(td, "r-fixtures", "rjson", "rparse_cases.tsv"), encoding="utf-8") as f:
        for line in f:
            code = line.rstrip("\n").split("\t")[0]
            try:
                code = json.loads(code)
            except ValueError:
                pass
            seeds["rexpr"].append(code.encode("utf-8"))
    for t, items in seeds.items():
        d = os.path.join(out, t)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for i, data in enumerate(items):
            with open(os.path.join(d, f"{i:04d}"), "wb") as f:
                f.write(data)
        if not items:
            sys.exit(f"make_seeds: no seeds for {t} under {td}")


if __name__ == "__main__":
    main()
