#!/usr/bin/env python3
"""Hostile and damaged files: every file under testdata/malformed/<format>/ ends with exit 2 and
one `modelbridge: error: FILE:PLACE: message` line that names the file and a place in it, within
a few seconds and a bounded amount of memory (no crash, no exit 3, no silent success).

Model files (rds, rjson, pmml, onnx) are given to `inspect`; CSV files are scored with
testdata/r/lm_factor.  Files named in EXPECT below must also mention the given words (the
budget they exceed, for instance).  The generator scripts beside the files say how each was made.
"""
import os
import re
import subprocess
import threading
import time

from clitest import Checker, args_parser, work_dir

# File -> words the error message must contain.
EXPECT = {
    "onnx/input_cols_huge.onnx": ["columns", "MODELBRIDGE_LIMITS"],
    "onnx/input_cols_zero.onnx": ["columns"],
    "onnx/input_cols_negative.onnx": ["columns"],
    "onnx/raw_data_short.onnx": ["initializer 'W'"],
    "onnx/typed_data_short.onnx": ["initializer 'W'"],
    "onnx/negative_dim.onnx": ["negative dimension"],
    "onnx/shared_subtrees.onnx": ["tree-nodes", "MODELBRIDGE_LIMITS"],
    "onnx/deep_graph.onnx": ["graph-depth", "MODELBRIDGE_LIMITS"],
    "rds/altrep_many_sequences.rds": ["altrep-elements", "MODELBRIDGE_LIMITS", "after 16777216 elements"],
    "rds/gzip_bomb.rds": ["decompression-ratio", "MODELBRIDGE_LIMITS"],
    "rds/terms_factors_nan.rds": ["factors"],
    "rds/deferred_string_scipen.rds": ["unsupported R class 'character'"],
    "rds/gbm_split_var_out_of_range.rds": ["$trees[[2]][[1]][1]", "expected a whole number from -1 to", "-131073"],
    "rds/gbm_child_huge.rds": ["$trees[[1]][[3]][1]", "expected a whole number"],
    "rds/rf_daughter_negative.rds": ["$forest$treemap", "expected a whole number from 0 to"],
    "rds/rf_level_set_negative.rds": ["$forest (tree 1", "level set"],
    "rds/rpart_ncompete_huge.rds": ["$frame$ncompete[1]", "expected a whole number"],
    "csv/too_many_columns.csv": ["columns", "MODELBRIDGE_LIMITS"],
    "csv/huge_number.csv": ["beyond the range of a double", "(1000 bytes)"],
    "csv/long_column_name.csv": ["missing column", "(100000 bytes)"],
    "csv/long_row.csv": ["expected 3 fields, found 200001"],
    "rjson/long_formula.json": ["expr-depth", "MODELBRIDGE_LIMITS"],
    "rjson/fuzz_glmnet_column_pointers.json": ["$beta[[1]]@p[51]", "expected a whole number from 0 to 233"],
    "pmml/deep_apply.pmml": ["xml-depth", "MODELBRIDGE_LIMITS"],
    "pmml/deep_compound_predicate.pmml": ["xml-depth"],
    "pmml/deep_extension.pmml": ["xml-depth"],
    "pmml/deep_node.pmml": ["xml-depth"],
    "pmml/unknown_optype.pmml": ["DataField", "optype 'contiuous'", "continuous, categorical, ordinal"],
    "pmml/deep_segmentation.pmml": ["xml-depth"],
    "pmml/array_negative_n.pmml": ["'n'", "-5"],
    "pmml/array_wrong_n.pmml": ["n=\"3\"", "2 values"],
    # Findings of the fuzz targets (tests/fuzz).
    "pmml/fuzz_naive_bayes_paircounts_continuous.pmml": ["BayesInput on field 'Age'", "not a categorical input"],
    "onnx/fuzz_add_one_input.onnx": ["needs 2 inputs, the node has 1"],
    "onnx/fuzz_mlp_weights_short.onnx": ["invalid model"],
}
# Files with nothing to point at inside them: the file name is the place.
NO_PLACE = {"rds/empty.rds", "rds/deferred_string_scipen.rds"}
SKIP_EXT = (".py", ".md", ".R", ".txt")
MAX_SECONDS = 20
MAX_RSS_MB = 600
# Under ASan + UBSan (tests/sanitize/run_sanitized.sh sets MB_SANITIZED=1) time and memory are the
# sanitizers' and the bounds above do not apply; every other check does.
SANITIZED = os.environ.get("MB_SANITIZED") == "1"


def run_measured(argv):
    """(exit code, stderr, seconds, peak RSS in MiB) of one child process (killed after 120 s)."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = []
    reader = threading.Thread(target=lambda: err.append(p.stderr.read()))
    reader.start()
    killer = threading.Timer(120, p.kill)
    killer.start()
    _, status, usage = os.wait4(p.pid, 0)
    killer.cancel()
    reader.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, err[0].decode("utf-8", "replace"), time.monotonic() - start, usage.ru_maxrss / 1024


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.malformed")
    root = os.path.join(args.source, "testdata", "malformed")
    model = os.path.join(args.source, "testdata", "r", "lm_factor", "model.rds")
    seen = set()
    for fmt in sorted(os.listdir(root)):
        d = os.path.join(root, fmt)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(SKIP_EXT):
                continue
            path = os.path.join(d, name)
            key = f"{fmt}/{name}"
            seen.add(key)
            argv = [args.cli, "score", model, path] if fmt == "csv" else [args.cli, "inspect", path]
            rc, err, seconds, rss = run_measured(argv)
            line = next((l for l in err.splitlines() if l.startswith("modelbridge: error: ")), None)
            rest = line[len("modelbridge: error: "):] if line else ""
            located = rest.startswith(path + ":") and (
                key in NO_PLACE or re.match(re.escape(path) + r":[^ ][^:]*(:[^ ][^:]*)*: \S", rest))
            c.check(rc == 2 and located, f"{key}: exit {rc}, want 2 with FILE:PLACE: message; stderr {err.strip()[:300]!r}")
            words = EXPECT.get(key, [])
            c.check(all(w in rest for w in words), f"{key}: message {rest[:300]!r} lacks {words}")
            c.check(len(err) < 2000, f"{key}: {len(err)} bytes of error output")
            c.check(SANITIZED or seconds < MAX_SECONDS, f"{key}: {seconds:.1f} s")
            c.check(SANITIZED or rss < MAX_RSS_MB, f"{key}: {rss:.0f} MiB resident")
    for key in EXPECT:
        c.check(key in seen, f"{key}: missing from testdata/malformed")

    # A valid CSV of 100,000 columns (the limit) is read in little memory per column.
    w = work_dir(args, "malformed")
    wide = os.path.join(w, "wide.csv")
    with open(wide, "w") as f:
        f.write("Sepal.Width,Petal.Length,Species," + ",".join(f"c{i}" for i in range(3, 100000)) + "\n")
        for r in range(20):
            f.write(f"3.{r},1.4,setosa," + ",".join(["0"] * 99997) + "\n")
    out = os.path.join(w, "wide_out.csv")
    rc, err, seconds, rss = run_measured([args.cli, "score", model, wide, "-o", out])
    rows = open(out).read().splitlines() if rc == 0 else []
    c.check(rc == 0 and len(rows) == 21, f"wide CSV: exit {rc}, {len(rows)} lines, stderr {err.strip()[:300]!r}")
    c.check(SANITIZED or rss < 300, f"wide CSV: {rss:.0f} MiB resident for 100,000 columns")
    c.check(SANITIZED or seconds < MAX_SECONDS, f"wide CSV: {seconds:.1f} s")
    c.finish()


if __name__ == "__main__":
    main()
