#!/usr/bin/env python3
"""diff finds one edited value and the rows it moves.

A model is converted to PMML; B is the same PMML with one value edited (a coefficient of a linear
model; a split threshold of a tree, moved past some of the data).  `diff A B --data` must list
exactly that parameter as changed, and the prediction report must count the rows that the edit
moves, computed here independently from the input rows.  And a tree model diffed against its own
PMML and ONNX conversions (other nodes, same function) shows no change and exit 0; an edit seen
across formats is named by its variable; a float32 ONNX conversion is named as a change of
precision, its rounding not listed as edits.
"""
import math
import os
import re

from clitest import Checker, args_parser, read_csv, num, run, work_dir


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.diff_edit")
    w = work_dir(args, "diff_edit")
    cli = args.cli
    r_dir = os.path.join(args.source, "testdata", "r")

    # 1. Linear: lm_numeric, coefficient of `wt` changed by +0.5.  Rows moved: every row with a
    #    non-missing, non-zero wt (all others predict NA or the same value).
    d = os.path.join(r_dir, "lm_numeric")
    a = os.path.join(w, "lm.pmml")
    c.check(run(cli, "convert", os.path.join(d, "model.rds"), a).rc == 0, "convert lm_numeric to PMML")
    text = open(a).read()
    m = re.search(r'(<NumericPredictor name="wt"[^>]*coefficient=")([^"]+)(")', text)
    if c.check(m is not None, "PMML has a NumericPredictor for wt"):
        old = float(m.group(2))
        b = os.path.join(w, "lm_edited.pmml")
        with open(b, "w") as f:
            f.write(text[:m.start(2)] + repr(old + 0.5) + text[m.end(2):])
        header, rows = read_csv(os.path.join(d, "input.csv"))
        wt = [num(r[header.index("wt")]) for r in rows]
        others = [[num(r[i]) for i, h in enumerate(header) if h != "wt"] for r in rows]
        moved = sum(1 for x, o in zip(wt, others) if not math.isnan(x) and x != 0 and not any(map(math.isnan, o)))
        res = run(cli, "diff", a, b, "--data", os.path.join(d, "input.csv"), "--json")
        doc = res.json()
        changed = [ch for ch in doc["changes"]]
        c.check(res.rc == 1 and not doc["equivalent"], f"lm: diff exit {res.rc}")
        c.check(len(changed) == 1 and changed[0]["kind"] == "parameter-changed" and changed[0]["what"] == "wt"
                and abs(changed[0]["abs"] - 0.5) < 1e-9, f"lm: changes {changed}")
        p = doc["predictions"]
        c.check(p["rows"] == len(rows) and p["rows_beyond"] == moved,
                f"lm: {p['rows_beyond']} rows beyond tolerance, {moved} moved by the edit")
        c.check(p["worst"] and all(x["beyond"] for x in p["worst"]), "lm: worst rows listed")
        # |Δprediction| = 0.5·|wt|: the largest absolute difference is known.
        want = 0.5 * max(abs(x) for x in wt if not math.isnan(x))
        c.check(abs(p["max_abs"] - want) <= 1e-9 * want, f"lm: max abs {p['max_abs']} vs 0.5·max|wt| {want}")
        res = run(cli, "diff", a, b)
        c.check(res.rc == 1 and "wt" in res.out and "parameter-changed" in res.out, "lm: text diff names wt")

    # 2. Tree: rpart_class (classification), the root split threshold moved to the median of its
    #    variable.  Rows moved: those whose class changes; we count rows whose root variable lies
    #    between the old and new thresholds and check the label flips are among them.
    d = os.path.join(r_dir, "rpart_class")
    a = os.path.join(w, "tree.pmml")
    res = run(cli, "convert", os.path.join(d, "model.rds"), a)
    # The PMML tree writer exists: a refusal here is a failure, never a reason to skip.
    if not c.check(res.rc == 0, f"tree: convert rpart_class to PMML: exit {res.rc} {res.err.strip()}"):
        c.finish()
    text = open(a).read()
    m = re.search(r'<SimplePredicate field="([^"]+)" operator="(lessThan|lessOrEqual|greaterThan|greaterOrEqual)" value="([^"]+)"', text)
    if c.check(m is not None, "tree PMML has a numeric SimplePredicate"):
        field, old = m.group(1), float(m.group(3))
        header, rows = read_csv(os.path.join(d, "input.csv"))
        xs = sorted(num(r[header.index(field)]) for r in rows if not math.isnan(num(r[header.index(field)])))
        new = xs[len(xs) // 2]
        if new == old:
            new = xs[len(xs) // 4]
        lo, hi = min(old, new), max(old, new)
        between = sum(1 for x in xs if lo <= x <= hi)
        b = os.path.join(w, "tree_edited.pmml")
        # Edit every predicate of that split (the node's two children test the same value).
        pat = re.compile(r'(<SimplePredicate field="' + re.escape(field) + r'" operator="[a-zA-Z]+" value=")'
                         + re.escape(m.group(3)) + '"')
        with open(b, "w") as f:
            f.write(pat.sub(lambda mm: mm.group(1) + repr(new) + '"', text))
        res = run(cli, "diff", a, b, "--data", os.path.join(d, "input.csv"), "--json")
        doc = res.json()
        ch = doc["changes"]
        c.check(res.rc == 1 and len(ch) == 1 and ch[0]["kind"] == "parameter-changed" and "threshold" in ch[0]["what"]
                and float(ch[0]["a"]) == old and float(ch[0]["b"]) == new, f"tree: changes {ch}")
        p = doc["predictions"]
        c.check(p["rows"] == len(rows) and 0 < p["rows_beyond"] <= between,
                f"tree: {p['rows_beyond']} rows moved; {between} rows lie between {old} and {new}")
        c.check(0 < p["label_mismatches"] <= p["rows_beyond"], f"tree: label flips {p['label_mismatches']}")
        res = run(cli, "diff", a, b, "--data", os.path.join(d, "input.csv"))
        c.check(res.rc == 1 and "threshold" in res.out and "class" in res.out, "tree: text diff names the threshold")
        # The worst rows name the sides as the command line does: B's value, then A's.
        c.check(re.search(r"class: B \S+, A \S+", res.out) is not None, f"tree: worst rows say B and A:\n{res.out}")

        # 2b. The same edit seen from the R model: the PMML reader lays the tree out with other
        #     nodes than the R importer, and the edit is still the one threshold, named by its
        #     variable and said as rpart says it (x < t), not as a node of one file's layout.
        res = run(cli, "diff", os.path.join(d, "model.rds"), b, "--json")
        ch = res.json()["changes"]
        c.check(res.rc == 1 and len(ch) == 1 and ch[0]["kind"] == "parameter-changed"
                and ch[0]["what"] == f"tree 0 split {field} < t" and float(ch[0]["a"]) == old
                and float(ch[0]["b"]) == new, f"tree across formats: changes {ch}")

    # 3. Across formats: the writers spell trees with other nodes (one PMML Node per child,
    #    surrogate predicates, category tables; ONNX binary searches over level codes), which is
    #    no change.
    for case in ("rpart_class_factor", "rpart_anova", "gbm_gaussian", "rf_regression"):
        d = os.path.join(r_dir, case)
        src = os.path.join(d, "model.rds")
        for fmt in ("pmml", "onnx"):
            out = os.path.join(w, f"{case}.{fmt}")
            if not c.check(run(cli, "convert", src, out).rc == 0, f"{case}: convert to {fmt}"):
                continue
            res = run(cli, "diff", src, out, "--data", os.path.join(d, "input.csv"), "--json")
            doc = res.json()
            c.check(res.rc == 0 and doc["equivalent"] and doc["changes"] == [] and doc["predictions"]["rows_beyond"] == 0,
                    f"{case}: diff against its {fmt} conversion: exit {res.rc}, changes {doc.get('changes')}")

    # 4. Against a float32 ONNX conversion: precision is named as the cause, and the thresholds,
    #    leaf values, support vectors and coefficients that float32 rounds are not listed as edits
    #    (an SVM regression's response scaling folded into its coefficients and rho included).
    for case in ("rf_regression", "gbm_gaussian", "svm_class_radial", "svm_eps_regression"):
        d = os.path.join(r_dir, case)
        src = os.path.join(d, "model.rds")
        out = os.path.join(w, f"{case}_f32.onnx")
        if not c.check(run(cli, "convert", src, out, "--precision", "float").rc == 0, f"{case}: convert --precision float"):
            continue
        ch = run(cli, "diff", src, out, "--json").json()["changes"]
        prec = [x for x in ch if x["kind"] == "precision-changed"]
        c.check(any(x["what"] == "arithmetic" and x["a"] == "double" and x["b"] == "float32" for x in prec)
                and not any(x["kind"] in ("parameter-changed", "tree-changed") for x in ch),
                f"{case}: float32 ONNX diff names precision only: {ch}")

    # 5. An ensemble of models of different families (KNIME's vote of a tree, a network and an
    #    SVM, made a weighted vote): converted to PMML and back it is the same model; a member's
    #    Segment weight edited shows as that member's weight; ONNX and R refuse it (exit 2).
    knime = os.path.join(args.source, "..", "shared", "corpus", "pmml", "jpmml-evaluator-1.4.X", "pmml-knime",
                         "src", "test", "resources", "pmml", "ModelEnsembleIris.pmml")
    if os.path.isfile(knime):
        text = open(knime).read().replace('multipleModelMethod="majorityVote"',
                                          'multipleModelMethod="weightedMajorityVote"')
        src = os.path.join(w, "ensemble.pmml")
        with open(src, "w") as f:
            f.write(text.replace("<Segment>", '<Segment weight="2">', 1))
        out = os.path.join(w, "ensemble_out.pmml")
        c.check(run(cli, "convert", src, out).rc == 0, "ensemble: convert to PMML")
        res = run(cli, "diff", src, out, "--json")
        c.check(res.rc == 0 and res.json()["changes"] == [], f"ensemble: diff against its PMML: exit {res.rc}")
        edited = os.path.join(w, "ensemble_edited.pmml")
        written = open(out).read()
        m = re.search(r'<Segment id="2" weight="([^"]+)"', written)
        if c.check(m is not None, "ensemble: the written PMML has a weight on its second Segment"):
            with open(edited, "w") as f:
                f.write(written[:m.start(1)] + "1.5" + written[m.end(1):])
            ch = run(cli, "diff", out, edited, "--json").json()["changes"]
            c.check(len(ch) == 1 and ch[0]["kind"] == "parameter-changed" and ch[0]["what"] == "member 1 weight"
                    and ch[0]["a"] == "1" and ch[0]["b"] == "1.5", f"ensemble: edited weight: {ch}")
        for fmt in ("onnx", "rds"):
            r = run(cli, "convert", src, os.path.join(w, "ensemble." + fmt))
            c.check(r.rc == 2 and "ensemble of models of different families" in r.err,
                    f"ensemble: convert to {fmt} refused: exit {r.rc}, {r.err.strip()[:200]!r}")
    c.finish()


if __name__ == "__main__":
    main()
