"""The outside judges the Python tests call, and what happens when one is missing.

The judges: the shared corpus beside the repository (../shared: the PMML 4.4 XSD, the producers'
models and predictions), R (Rscript), node with onnxruntime-node (build/node), xmllint, Debian's
/usr/bin/python3 with python3-onnx, groff.

With CI=true in the environment (.ci/test sets it) a missing judge is a failure: the test prints
what is missing and exits 2.  Elsewhere the checks that judge would make are skipped, loudly: a
line starting "SKIPPED: outside judge missing:" says which, so a green local run never hides it.
"""
import os
import shutil
import subprocess
import sys

PY_ONNX = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
ORT_SCORE = os.path.join(HERE, "interop", "ort_score.js")


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(what, consequence="its checks did not run"):
    """A judge is missing: exit 2 under CI=true, else print a loud skip line.  Returns False."""
    if in_ci():
        print(f"error: outside judge missing (CI=true requires every judge): {what}", flush=True)
        sys.exit(2)
    print(f"SKIPPED: outside judge missing: {what}; {consequence}", flush=True)
    return False


def have_path(path, what, consequence="its checks did not run"):
    return True if os.path.exists(path) else missing(f"{what} ({path})", consequence)


def have_tool(name, package, consequence="its checks did not run"):
    return True if shutil.which(name) else missing(f"{name} (Debian package {package}; run .ci/setup)", consequence)


def have_python_onnx(consequence="its checks did not run"):
    ok = os.path.exists(PY_ONNX) and subprocess.run(
        [PY_ONNX, "-c", "import onnx, onnx.checker, numpy"], capture_output=True).returncode == 0
    return True if ok else missing(f"Debian's python3-onnx and python3-numpy for {PY_ONNX} (run .ci/setup)",
                                   consequence)


def have_ort(node_path, consequence="its checks did not run"):
    """node and onnxruntime-node under node_path/node_modules (the project's scorer: ORT_SCORE)."""
    if not shutil.which("node"):
        return missing("node (Debian package nodejs; run .ci/setup)", consequence)
    mod = os.path.join(node_path, "node_modules", "onnxruntime-node")
    return have_path(mod, "onnxruntime-node 1.30 (installed by .ci/setup)", consequence)


def have_r(consequence="its checks did not run"):  # for tests that call R (none in CI yet)
    return have_tool("Rscript", "r-base-core", consequence)


def ort_env(node_path):
    return dict(os.environ, NODE_PATH=os.path.join(node_path, "node_modules"))


def ort_input(inp, work, case):
    """onnxruntime's CSV scorer (ORT_SCORE) skips blank lines; in a one-column file a blank line is
    a row whose only value is missing, so hand it an explicit NA."""
    with open(inp, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if "," in lines[0]:
        return inp
    if lines and lines[-1] == "":
        lines = lines[:-1]
    out = os.path.join(work, f"{case}.ort-input.csv")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(l if l.strip() else "NA" for l in lines) + "\n")
    return out
