#!/usr/bin/env python3
"""Cross-check every testdata/r model through every format, with outside consumers as judges.

Every comparison of predictions is made here, by tests/agree.py (the SPEC rule in a few lines of
Python, every reference column must be matched), never through modelbridge's own comparer or its
exit code.  With CI=true a missing judge (../shared with the PMML 4.4 XSD, xmllint, node with
onnxruntime-node, Debian's python3-onnx) fails the run; elsewhere its checks are skipped, loudly.

For each case of testdata/r (R's own fits; R's predict() in expected.csv):
  1. `modelbridge score` of model.rds and model_exact.json agrees with R (SPEC rule, rtol 1e-9);
     for a case whose JSON loses part of the model (case.json `json_refused`), the JSON is refused.
  2. `modelbridge convert` to PMML with --data/--expected exits 0; the PMML validates against the
     DMG PMML 4.4 XSD with xmllint; scored back it agrees with R; and the chain R -> PMML -> ONNX
     (`convert` of that PMML to ONNX) scored by onnxruntime agrees with R, so the PMML we write
     is judged by more than our own reader.
  3. `modelbridge convert` to ONNX (double) with --data/--expected exits 0; the file passes
     onnx.checker (Debian's python3-onnx) and onnxruntime 1.30 (npm onnxruntime-node, through
     the project's tests/interop/ort_score.js) scores input.csv equal to R's predictions.
  4. With --precision float the conversion report states the float32 cost, and onnxruntime's
     float32 output equals our float32 emulation within a float32 ulp-scale tolerance (SVMs,
     one SVMClassifier / SVMRegressor, and networks written as float32 layers: within one float32
     ulp; naive Bayes, k-means and skip-layer networks, whose arithmetic stays double after float32
     inputs: within the default tolerance).
  5. Tree models again with `--onnx-trees ml5` (one ai.onnx.ml opset-5 TreeEnsemble, which
     Debian's onnx 1.12 checker does not know, so onnxruntime is the judge): the conversion with
     --data/--expected exits 0 and warns `onnx-ml-opset-5`; onnxruntime scores input.csv equal to
     R's predictions; `modelbridge score` of the file (our reader) agrees with R; with --precision
     float the report states the float32 cost and onnxruntime equals our float32 emulation.
The cases, their hints (--levels, --lambda) and the conversions each must pass come from the
catalogue (tests/catalogue.py, testdata/r/<case>/case.json); a conversion case.json marks
"refused" may be refused cleanly (exit 2, "unsupported"), and is judged in full when it converts
(step 4 follows "onnx_float" where a case.json gives it, else "onnx").
Prints per-class counts and `crosscheck: N passed, M failed`.
"""
import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import agree  # noqa: E402  (tests/agree.py)
import catalogue  # noqa: E402  (tests/catalogue.py: testdata/r/<case>/case.json)
import judges  # noqa: E402  (tests/judges.py)

def read_csv(path):
    return agree.read_file(path)


# R's `link` column (the linear predictor of a binomial glm) is printed only by `score --link`
# and has no ONNX output; cli.commands compares it.  Every other reference column is compared.
NOT_COMPARED = ("link",)


def compare_tables(ours_path, ref_path, rename, rtol, atol):
    """None when every reference column agrees with ours (after renaming), else the problems."""
    return agree.compare_files(ours_path, ref_path, rtol, atol, rename, skip=NOT_COMPARED)



def refused(r, target, case):
    """A clean refusal (exit 2 naming the construct as unsupported) where case.json allows one."""
    return not case.must_convert(target) and r.returncode == 2 and "unsupported" in r.stderr


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def ort_score(score_js, model, inp, out, work, case, env):
    """onnxruntime (one thread) through the project's scorer, tests/interop/ort_score.js."""
    with open(out, "w") as f:
        return subprocess.run(["node", score_js, model, judges.ort_input(inp, work, case)], stdout=f,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=600)


def score_agrees(cli, model, inp, exp, out, hints, check, what):
    """`modelbridge score` of model to a file, judged here against R's expected.csv."""
    r = run([cli, "score", model, inp, "-o", out] + hints)
    if check(f"{what}: score exit 0", r.returncode == 0, r.stderr[-400:]):
        msg = compare_tables(out, exp, {}, 1e-9, 1e-12)
        check(f"{what} agrees with R", msg is None, msg or "")


def prob_rename(path):
    h, _ = read_csv(path)
    return {f"probabilities_{i}": c for i, c in enumerate(c for c in h if c.startswith("probability("))}


def ml5_pass(args, case, d, inp, exp, hints, work, env, score_js, have_ort, check):
    """Step 5: the tree model as one ai.onnx.ml opset-5 TreeEnsemble, double and float32."""
    rds = os.path.join(d, "model.rds")
    onnx5 = os.path.join(work, f"{case}.ml5.onnx")
    r = run([args.cli, "convert", rds, onnx5, "--onnx-trees", "ml5", "--data", inp, "--expected", exp] + hints)
    check("convert onnx ml5", r.returncode == 0 and os.path.isfile(onnx5), r.stdout[-600:] + r.stderr[-400:])
    check("ml5 warns onnx-ml-opset-5", "[onnx-ml-opset-5]" in r.stdout, r.stdout[-400:])
    if not os.path.isfile(onnx5):
        return
    score_agrees(args.cli, onnx5, inp, exp, os.path.join(work, f"{case}.ml5.ours.csv"), [], check,
                 "ml5 read back by our reader")
    if have_ort:
        ort_out = os.path.join(work, f"{case}.ml5.ort.csv")
        r = ort_score(score_js, onnx5, inp, ort_out, work, case, env)
        check("onnxruntime loads and scores ml5", r.returncode == 0, r.stderr[-400:])
        if r.returncode == 0:
            msg = compare_tables(ort_out, exp, prob_rename(exp), 1e-9, 1e-12)
            check("onnxruntime ml5 agrees with R", msg is None, msg or "")
    onnx5f = os.path.join(work, f"{case}.ml5.f32.onnx")
    r = run([args.cli, "convert", rds, onnx5f, "--onnx-trees", "ml5", "--precision", "float", "--data", inp,
             "--force", "--json"] + hints)
    check("convert onnx ml5 float", r.returncode in (0, 1) and os.path.isfile(onnx5f), r.stderr[-400:])
    if r.returncode in (0, 1) and r.stdout.strip():
        rep = json.loads(r.stdout)
        notes = rep["checks"]["converted_vs_source"].get("notes", [])
        codes = [w["code"] for w in rep["warnings"]]
        check("ml5 float32 cost reported", any("float32" in n for n in notes), str(notes))
        check("ml5 float32 warnings", "onnx-ml-opset-5" in codes and any(c.startswith("float32") for c in codes), str(codes))
    if have_ort and os.path.isfile(onnx5f):
        ours32 = os.path.join(work, f"{case}.ml5.f32.ours.csv")
        r1 = run([args.cli, "score", onnx5f, inp, "-o", ours32])
        ort32 = os.path.join(work, f"{case}.ml5.f32.ort.csv")
        r2 = ort_score(score_js, onnx5f, inp, ort32, work, case, env)
        check("ml5 float32 scored by both", r1.returncode == 0 and r2.returncode == 0, r1.stderr[-300:] + r2.stderr[-300:])
        if r1.returncode == 0 and r2.returncode == 0:
            # Same sums in float32; only a double link after the operator may differ in the last bits.
            msg = compare_tables(ort32, ours32, prob_rename(ours32), 1e-12, 1e-15)
            check("onnxruntime ml5 float32 equals our float32 emulation", msg is None, msg or "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--node-path", required=True, help="folder holding node_modules/onnxruntime-node")
    ap.add_argument("--work", default=None)
    ap.add_argument("--cases", default=None, help="only the cases whose name matches this regular expression")
    args = ap.parse_args()

    xsd = os.path.join(args.shared, "corpus/pmml/schema/pmml-4-4.xsd")
    score_js = judges.ORT_SCORE
    have_xsd = judges.have_path(xsd, "the DMG PMML 4.4 XSD in the shared corpus",
                                "the PMML files were not validated") and \
        judges.have_tool("xmllint", "libxml2-utils", "the PMML files were not validated")
    have_ort = judges.have_ort(args.node_path, "onnxruntime did not score the ONNX files")
    have_checker = judges.have_python_onnx("onnx.checker did not check the ONNX files")
    checker = judges.PY_ONNX
    work = args.work or tempfile.mkdtemp(prefix="mb-crosscheck-")
    # Start empty: a file left by an earlier run must never be judged in place of a new one.
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = judges.ort_env(args.node_path)

    passed = failed = 0
    refusals = []
    converts_now = []
    per_class = {}
    failures = []
    entries = catalogue.load(os.path.dirname(os.path.dirname(os.path.abspath(args.testdata))))
    if args.cases:
        entries = [e for e in entries if re.search(args.cases, e.name)]
    if not entries:
        print("crosscheck: error: no cases in the catalogue" + (f" matching {args.cases!r}" if args.cases else ""))
        return 2
    for entry in entries:
        case, d, cls = entry.name, entry.dir, entry.family
        inp, exp = os.path.join(d, "input.csv"), os.path.join(d, "expected.csv")
        hints = entry.hints
        problems = []

        def check(name, ok, detail=""):
            if not ok:
                problems.append(f"{name}: {detail}")
            return ok

        for model in ("model.rds", "model_exact.json"):
            if model.endswith(".json") and entry.json_refused:
                # The JSON lost part of the model (case.json says what): a clean refusal.
                r = run([args.cli, "score", os.path.join(d, model), inp, "-o", os.path.join(work, f"{case}.{model}.csv")]
                        + hints)
                check(f"score {model} refused", r.returncode == 2 and "unsupported" in r.stderr, r.stderr[-400:])
                continue
            score_agrees(args.cli, os.path.join(d, model), inp, exp, os.path.join(work, f"{case}.{model}.csv"),
                         hints, check, f"score {model}")
        pmml = os.path.join(work, f"{case}.pmml")
        r = run([args.cli, "convert", os.path.join(d, "model.rds"), pmml, "--data", inp, "--expected", exp] + hints)
        if refused(r, "pmml", entry):
            refusals.append(f"{case}: pmml: {r.stderr.strip()[:160]}")
        elif entry.known_loss("pmml"):
            # The format does not hold a part of the model (case.json names the loss): the
            # conversion must exit 1 (nothing written) naming it.
            code = entry.known_loss("pmml")
            check("pmml loss named", r.returncode in (0, 1) and f"[{code}]" in r.stdout, r.stdout[-600:] + r.stderr[-400:])
            if r.returncode == 1:
                check("nothing written on disagreement", not os.path.isfile(pmml), pmml)
                r = run([args.cli, "convert", os.path.join(d, "model.rds"), pmml, "--force"] + hints)
                check("convert pmml --force", r.returncode == 0 and os.path.isfile(pmml), r.stderr[-400:])
            elif os.path.isfile(pmml) and code == "pmml-svm-probabilities":
                # The file holds the vote model: its classes must still be R's.
                ours = os.path.join(work, f"{case}.pmml.csv")
                s = run([args.cli, "score", pmml, inp, "-o", ours])
                if check("PMML read back: score exit 0", s.returncode == 0, s.stderr[-400:]):
                    eh, _ = read_csv(exp)
                    msg = agree.compare_files(ours, exp, 1e-9, 1e-12, {}, skip=tuple(h for h in eh if h != "class"))
                    check("PMML read back: classes agree with R", msg is None, msg or "")
        else:
            if not entry.must_convert("pmml"):
                converts_now.append(f"{case}: pmml")
            check("convert pmml", r.returncode == 0 and os.path.isfile(pmml), r.stdout[-600:] + r.stderr[-400:])
        if have_xsd and os.path.isfile(pmml):
            r = run(["xmllint", "--noout", "--schema", xsd, pmml])
            check("xmllint pmml-4-4.xsd", r.returncode == 0, r.stderr[-400:])
        if os.path.isfile(pmml) and not entry.known_loss("pmml"):
            score_agrees(args.cli, pmml, inp, exp, os.path.join(work, f"{case}.pmml.csv"), [], check,
                         "PMML read back")
        if os.path.isfile(pmml) and not entry.known_loss("pmml") and entry.must_convert("onnx"):
            # R -> PMML -> ONNX, judged by onnxruntime: the PMML's meaning reaches a runtime that
            # is not ours.
            chain = os.path.join(work, f"{case}.pmml.onnx")
            r = run([args.cli, "convert", pmml, chain])
            check("convert the written PMML to ONNX", r.returncode == 0 and os.path.isfile(chain), r.stderr[-400:])
            if have_ort and os.path.isfile(chain):
                chain_out = os.path.join(work, f"{case}.pmml.ort.csv")
                r = ort_score(score_js, chain, inp, chain_out, work, case, env)
                if check("onnxruntime scores R -> PMML -> ONNX", r.returncode == 0, r.stderr[-400:]):
                    msg = compare_tables(chain_out, exp, prob_rename(exp), 1e-9, 1e-12)
                    check("onnxruntime on R -> PMML -> ONNX agrees with R", msg is None, msg or "")
        onnx = os.path.join(work, f"{case}.onnx")
        r = run([args.cli, "convert", os.path.join(d, "model.rds"), onnx, "--data", inp, "--expected", exp] + hints)
        if refused(r, "onnx", entry):
            refusals.append(f"{case}: onnx: {r.stderr.strip()[:160]}")
        else:
            if not entry.must_convert("onnx"):
                converts_now.append(f"{case}: onnx")
            check("convert onnx", r.returncode == 0 and os.path.isfile(onnx), r.stdout[-600:] + r.stderr[-400:])
        if os.path.isfile(onnx):
            if have_checker:
                r = run([checker, "-c", "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", onnx])
                check("onnx.checker", r.returncode == 0, r.stderr[-400:])
            if have_ort:
                ort_out = os.path.join(work, f"{case}.ort.csv")
                r = ort_score(score_js, onnx, inp, ort_out, work, case, env)
                check("onnxruntime loads and scores", r.returncode == 0, r.stderr[-400:])
                if r.returncode == 0:
                    eh, _ = read_csv(exp)
                    probs = [c for c in eh if c.startswith("probability(")]
                    rename = {f"probabilities_{i}": c for i, c in enumerate(probs)}
                    msg = compare_tables(ort_out, exp, rename, 1e-9, 1e-12)
                    check("onnxruntime agrees with R", msg is None, msg or "")
        # float32 ONNX: the report must say what float32 costs, and onnxruntime must reproduce
        # our float32 emulation.
        onnx32 = os.path.join(work, f"{case}.f32.onnx")
        r = run([args.cli, "convert", os.path.join(d, "model.rds"), onnx32, "--precision", "float", "--data", inp,
                 "--force", "--json"] + hints)
        if refused(r, "onnx_float" if "onnx_float" in entry.convert else "onnx", entry):
            r = subprocess.CompletedProcess(r.args, 2, "", "")
        elif entry.float_refused:
            check("convert onnx float refused", r.returncode == 2 and "unsupported" in r.stderr, r.stderr[-400:])
            r = subprocess.CompletedProcess(r.args, 2, "", "")
        else:
            check("convert onnx float", r.returncode in (0, 1) and os.path.isfile(onnx32), r.stderr[-400:])
        codes32 = set()
        float32_network = False
        if r.returncode in (0, 1) and r.stdout.strip():
            rep = json.loads(r.stdout)
            codes32 = {w["code"] for w in rep["warnings"]}
            float32_network = any(w["code"] == "float32-narrowing" and "network's weights" in w["message"]
                                  for w in rep["warnings"])
            notes = rep["checks"]["converted_vs_source"].get("notes", [])
            check("float32 cost reported", any("float32" in n for n in notes), str(notes))
            check("float32 narrowing warned", any(w["code"].startswith("float32") for w in rep["warnings"]), str(rep["warnings"]))
        if have_ort and os.path.isfile(onnx32):
            ours32 = os.path.join(work, f"{case}.f32.ours.csv")
            r1 = run([args.cli, "score", onnx32, inp, "-o", ours32])
            ort32 = os.path.join(work, f"{case}.f32.ort.csv")
            r2 = ort_score(score_js, onnx32, inp, ort32, work, case, env)
            check("float32 scored by both", r1.returncode == 0 and r2.returncode == 0, r1.stderr[-300:] + r2.stderr[-300:])
            if r1.returncode == 0 and r2.returncode == 0:
                oh, _ = read_csv(ours32)
                probs = [c for c in oh if c.startswith("probability(")]
                rename = {f"probabilities_{i}": c for i, c in enumerate(probs)}
                # onnxruntime's float GEMM sums in another order than our emulation; with
                # cancelling terms (12-level poly contrasts) that moves float32 results by a few
                # ulps of the largest term, so this is a sanity bound, not an ulp match.  Trees
                # (TreeEnsembleClassifier / TreeEnsembleRegressor) sum in tree order as our reader
                # does: within two float32 ulps.
                # SVMs (one SVMClassifier / SVMRegressor, whose float32 arithmetic our reader
                # reproduces step by step): within one float32 ulp.
                if entry.kind == "tree":
                    tol = (2.4e-7, 1e-12)
                elif cls.startswith("svm") or cls == "ksvm" or float32_network:
                    # Networks as float32 layers: the MatMul sums as MLAS orders them, Sigmoid as
                    # MLAS's logistic (the evaluator's float32 pass): within one float32 ulp.
                    tol = (1.2e-7, 1e-12)
                elif "float32-inputs-only" in codes32:
                    # Networks, naive Bayes, k-means: float32 inputs, then the double graph of
                    # the default path, which onnxruntime reproduces to the default tolerance.
                    tol = (1e-9, 1e-12)
                else:
                    tol = (1e-5, 1e-5)
                msg = compare_tables(ort32, ours32, rename, *tol)
                check("onnxruntime float32 equals our float32 emulation", msg is None, msg or "")
        if entry.must_convert("ml5"):
            ml5_pass(args, case, d, inp, exp, hints, work, env, score_js, have_ort, check)

        stat = per_class.setdefault(cls, [0, 0, 0])
        if problems:
            failed += 1
            stat[1] += 1
            failures.append((case, problems))
        else:
            passed += 1
            stat[0] += 1

    print(f"{'class':<16} {'pass':>5} {'fail':>5} {'skipped':>8}")
    for cls, (p, f, u) in sorted(per_class.items()):
        print(f"{cls:<16} {p:>5} {f:>5} {u:>8}")
    for case, probs in failures:
        print(f"FAIL {case}")
        for p in probs:
            print(f"   {p}")
    for line in refusals:
        print(f"refused (not yet written, as case.json says): {line}")
    for line in converts_now:
        print(f"converts now although case.json says refused (judged; update case.json): {line}")
    skipped = sum(s[2] for s in per_class.values())
    print(f"crosscheck: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
