#!/usr/bin/python3
"""modelbridge against onnxruntime and R on the same rows: a benchmark, not a test.

Usage (Debian's python3 with python3-sklearn, python3-onnx and python3-numpy; R with
randomForest; onnxruntime-node in build/node as .ci/setup installs it):

    /usr/bin/python3 tests/bench/bench_vs.py --cli build/modelbridge [--rows 1000000] [--threads 2]

What it does, all in one run so the ratios compare like with like:
1. Generates ROWS x 10 features (seeded) as CSV, columns X_0..X_9, 9 significant digits.
2. Fits on 20,000 of them: a scikit-learn random forest (100 trees, depth 10) and a logistic
   regression, written as ONNX the way skl2onnx writes them (one float input X[N,10];
   TreeEnsembleRegressor with float32 thresholds and weights divided by the tree count;
   LinearClassifier with LOGISTIC); and an R randomForest (100 trees) saved with saveRDS.
3. Times, best of --repeat runs: `modelbridge score` CSV to CSV with 1 and N threads (peak RSS
   too); onnxruntime in memory (session.run on a float32 tensor already built) with 1 and N
   threads, and CSV to CSV (parse, score, print); R's predict() in memory on the forest.  Wall
   time and CPU time (user + system, all threads) both: on a machine shared with other work the
   wall figures of 2 threads say little, rows per CPU-second compare one-thread runs fairly.
4. Checks that modelbridge and onnxruntime give the same numbers (float32 models: within a few
   float32 ulps), then prints rows/s and the ratios the project aims at.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
F = 10


def need(mod):
    try:
        return __import__(mod)
    except ImportError:
        sys.exit(f"bench_vs: needs Debian's python3-{mod} (apt-get install python3-{mod}); run with /usr/bin/python3")


np = need("numpy")
onnx = need("onnx")
sklearn = need("sklearn")
from onnx import TensorProto, helper  # noqa: E402
from sklearn.ensemble import RandomForestRegressor  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402


def make_data(rows, path):
    rng = np.random.default_rng(20261202)
    x = rng.normal(size=(rows, F))
    y = np.sin(x[:, 0]) * 3 + x[:, 1] * x[:, 2] + np.where(x[:, 3] > 0.5, 2.0, -1.0) + rng.normal(scale=0.3, size=rows)
    with open(path, "w") as f:
        f.write(",".join(f"X_{k}" for k in range(F)) + "\n")
        block = 100_000
        for s in range(0, rows, block):
            np.savetxt(f, x[s:s + block], fmt="%.9g", delimiter=",")
    return x, y


def forest_onnx(rf, path):
    """A RandomForestRegressor as skl2onnx writes it (ai.onnx.ml TreeEnsembleRegressor)."""
    a = {k: [] for k in ("treeids", "nodeids", "featureids", "values", "modes", "true", "false", "missing")}
    t_tree, t_node, t_w = [], [], []
    n = len(rf.estimators_)
    for t, est in enumerate(rf.estimators_):
        tr = est.tree_
        for i in range(tr.node_count):
            leaf = tr.children_left[i] == -1
            a["treeids"].append(t)
            a["nodeids"].append(i)
            a["featureids"].append(0 if leaf else int(tr.feature[i]))
            a["values"].append(0.0 if leaf else float(np.float32(tr.threshold[i])))
            a["modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["true"].append(0 if leaf else int(tr.children_left[i]))
            a["false"].append(0 if leaf else int(tr.children_right[i]))
            a["missing"].append(0)
            if leaf:
                t_tree.append(t)
                t_node.append(i)
                t_w.append(float(tr.value[i][0][0]) / n)
    node = helper.make_node(
        "TreeEnsembleRegressor", ["X"], ["variable"], domain="ai.onnx.ml", n_targets=1, aggregate_function="SUM",
        post_transform="NONE", nodes_treeids=a["treeids"], nodes_nodeids=a["nodeids"],
        nodes_featureids=a["featureids"], nodes_values=a["values"], nodes_modes=a["modes"],
        nodes_truenodeids=a["true"], nodes_falsenodeids=a["false"], nodes_missing_value_tracks_true=a["missing"],
        nodes_hitrates=[1.0] * len(a["treeids"]), target_treeids=t_tree, target_nodeids=t_node,
        target_ids=[0] * len(t_tree), target_weights=t_w, base_values=[0.0])
    g = helper.make_graph([node], "forest", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, F])],
                          [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 3)])
    m.ir_version = 8
    onnx.save(m, path)


def logreg_onnx(lr, path):
    node = helper.make_node(
        "LinearClassifier", ["X"], ["label", "probabilities"], domain="ai.onnx.ml",
        coefficients=[float(v) for v in lr.coef_[0]], intercepts=[float(lr.intercept_[0])],
        classlabels_ints=[0, 1], post_transform="LOGISTIC", multi_class=0)
    g = helper.make_graph([node], "logreg", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, F])],
                          [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                           helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 1)])
    m.ir_version = 8
    onnx.save(m, path)


R_FIT = r"""
suppressPackageStartupMessages(library(randomForest))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], nrows = 20000)
set.seed(1)
y <- sin(d$X_0) * 3 + d$X_1 * d$X_2 + ifelse(d$X_3 > 0.5, 2, -1) + rnorm(nrow(d), sd = 0.3)
m <- randomForest(d, y, ntree = 100)
saveRDS(m, a[2])
"""
R_PREDICT = r"""
suppressPackageStartupMessages(library(randomForest))
a <- commandArgs(trailingOnly = TRUE)
m <- readRDS(a[1])
d <- read.csv(a[2])
best <- Inf
cpu <- Inf
for (i in seq_len(as.integer(a[3]))) {
  st <- system.time(p <- predict(m, d))
  best <- min(best, st[["elapsed"]])
  cpu <- min(cpu, st[["user.self"]] + st[["sys.self"]])
}
cat(sprintf('{"rows": %d, "best_s": %.6f, "cpu_s": %.6f}\n', nrow(d), best, cpu))
"""


def timed(cmd, repeat, env=None):
    """Best wall time of `repeat` runs, best CPU time (user + system) and the largest peak RSS (MB)."""
    best, best_cpu, rss = None, None, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", *cmd], capture_output=True, text=True, env=env)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-800:]}")
        user, sys_s, kb = r.stderr.strip().splitlines()[-1].split()
        rss = max(rss, int(kb) / 1024)
        cpu = float(user) + float(sys_s)
        best = dt if best is None else min(best, dt)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    return best, best_cpu, rss


def node_json(args):
    r = subprocess.run(["node", os.path.join(HERE, "ort_bench.js"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"onnxruntime: {r.stderr[-800:]}")
    return json.loads(r.stdout)


def max_rel_diff(a_path, b_path, col_a, col_b):
    a = np.genfromtxt(a_path, delimiter=",", names=True)
    b = np.genfromtxt(b_path, delimiter=",", names=True)
    x, y = a[col_a], b[col_b]
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-30)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default=None)
    ap.add_argument("--no-r", action="store_true", help="skip the R randomForest part")
    args = ap.parse_args()
    cli = os.path.abspath(args.cli)
    work = args.work or tempfile.mkdtemp(prefix="mb-bench-vs-")
    os.makedirs(work, exist_ok=True)
    csv = os.path.join(work, "data.csv")
    x, y = make_data(args.rows, csv)
    mb_csv_mb = os.path.getsize(csv) / 1e6
    n_fit = min(20_000, args.rows)
    rf = RandomForestRegressor(n_estimators=100, max_depth=10, random_state=0, n_jobs=1).fit(x[:n_fit], y[:n_fit])
    lr = LogisticRegression(max_iter=1000).fit(x[:n_fit], (y[:n_fit] > 0.5).astype(int))
    forest, logreg = os.path.join(work, "forest.onnx"), os.path.join(work, "logreg.onnx")
    forest_onnx(rf, forest)
    logreg_onnx(lr, logreg)
    rds = os.path.join(work, "rf.rds")
    have_r = not args.no_r and shutil.which("Rscript")
    if have_r:
        subprocess.run(["Rscript", "-e", R_FIT, csv, rds], check=True)

    N, T = args.rows, args.threads
    results = {}
    print(f"machine: {os.cpu_count()} cores; {N} rows x {F} features, CSV {mb_csv_mb:.0f} MB; best of {args.repeat}")
    print("wall: seconds and rows/s of the best run; cpu: rows per CPU-second (user + system of every thread,")
    print("best run), the figure a machine shared with other work disturbs least")
    print(f"{'what':<52} {'seconds':>8} {'rows/s':>12} {'rows/cpu-s':>12} {'peak MB':>8}")

    def show(key, secs, rss=None, cpu=None):
        results[key] = N / secs
        if cpu:
            results[key + " (cpu)"] = N / cpu
        print(f"{key:<52} {secs:>8.3f} {N / secs:>12,.0f} {'' if not cpu else f'{N / cpu:>12,.0f}'} "
              f"{'' if rss is None else f'{rss:>8.0f}'}")

    for name, model in (("forest", forest), ("logreg", logreg)):
        for t in sorted({1, T}):
            out = os.path.join(work, f"{name}.mb{t}.csv")
            secs, cpu, rss = timed([cli, "score", model, csv, "-o", out, "--threads", str(t), "--no-progress"],
                                   args.repeat)
            show(f"{name}: modelbridge score CSV->CSV, {t} thread(s)", secs, rss, cpu)
        for t in sorted({1, T}):
            j = node_json(["memory", model, csv, str(t), str(args.repeat)])
            show(f"{name}: onnxruntime in memory, {t} thread(s)", j["best_s"], None, j["cpu_s"])
        ort_out = os.path.join(work, f"{name}.ort.csv")
        j = node_json(["csv", model, csv, str(T), ort_out])
        show(f"{name}: onnxruntime CSV->CSV, {T} thread(s)", j["s"], None, j["cpu_s"])
        if T != 1:  # onnxruntime's float32 tree sums depend on its thread count: compare with one
            ort_out = os.path.join(work, f"{name}.ort1.csv")
            node_json(["csv", model, csv, "1", ort_out])
        ours = os.path.join(work, f"{name}.mb{T}.csv")
        # numpy's genfromtxt drops parentheses from names: probability(1) -> probability1.
        col_a, col_b = ("prediction", "variable") if name == "forest" else ("probability1", "probabilities_1")
        d = max_rel_diff(ours, ort_out, col_a, col_b)
        print(f"{name}: largest relative difference, modelbridge vs onnxruntime with one thread: {d:.3g}")
    if have_r:
        for t in sorted({1, T}):
            secs, cpu, rss = timed([cli, "score", rds, csv, "-o", os.path.join(work, f"rf.mb{t}.csv"), "--threads",
                                    str(t), "--no-progress"], args.repeat)
            show(f"R randomForest: modelbridge score .rds CSV->CSV, {t} thr.", secs, rss, cpu)
        r = subprocess.run(["Rscript", "-e", R_PREDICT, rds, csv, str(args.repeat)], capture_output=True, text=True,
                           check=True)
        j = json.loads(r.stdout)
        show("R randomForest: R predict() in memory", j["best_s"], None, j["cpu_s"])

    def ratio(a, b, goal):
        if a in results and b in results:
            v = results[a] / results[b]
            cpu = ""
            if a + " (cpu)" in results and b + " (cpu)" in results:
                cpu = f"; per CPU-second {results[a + ' (cpu)'] / results[b + ' (cpu)']:.2f}"
            print(f"  {a}\n    / {b}: wall {v:.2f}{cpu} (goal {goal})")

    print("ratios:")
    ratio(f"forest: modelbridge score CSV->CSV, {T} thread(s)", f"forest: onnxruntime in memory, {T} thread(s)", ">= 2")
    ratio(f"forest: modelbridge score CSV->CSV, {T} thread(s)", "forest: modelbridge score CSV->CSV, 1 thread(s)",
          ">= 1.7 with 2 threads")
    ratio(f"R randomForest: modelbridge score .rds CSV->CSV, {T} thr.", f"forest: onnxruntime in memory, {T} thread(s)",
          ">= 2")
    ratio(f"logreg: modelbridge score CSV->CSV, {T} thread(s)", f"logreg: onnxruntime in memory, {T} thread(s)",
          ">= 0.3")
    ratio("forest: modelbridge score CSV->CSV, 1 thread(s)", "forest: onnxruntime in memory, 1 thread(s)",
          "none; one thread each")
    ratio("R randomForest: modelbridge score .rds CSV->CSV, 1 thr.", "R randomForest: R predict() in memory",
          "none; one thread each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
