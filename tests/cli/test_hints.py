#!/usr/bin/env python3
"""Importer hints (--lambda, --levels, --nb-threshold, --n-trees) do what they say, or are refused.

A hint that is ignored answers another question than the one asked: cv.glmnet objects once
predicted at lambda.1se whatever --lambda said.  Here every cv.glmnet case of testdata/r is scored
at the penalty its s.txt names (R's own predict(s = ...) made expected.csv) and must agree with R;
the same model at the other stored penalty must not (so the choice is really made); hints a model
does not use are usage errors (exit 2) naming the hint.  Likewise every naiveBayes case whose
meta.json names the nb_threshold R predicted with agrees with R given --nb-threshold, and does not
without it (R's default threshold 0.001).  gbm cases fitted with validation rows or
cross-validation (expected_all_trees.csv beside expected.csv) agree with R's predict() without
n.trees by default (the best iteration, with the warning gbm-best-iteration) and with
predict(n.trees = $n.trees) given --n-trees all, and the two differ.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import (Checker, args_parser, compare_predictions, read_csv, read_csv_text, run,  # noqa: E402
                     testdata_cases, work_dir)


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.hints")
    work = work_dir(args, "hints")
    cli = args.cli
    cases = [(case, d, meta) for case, d, meta in testdata_cases(args.source) if "cv.glmnet" in meta["class"]]
    c.check(len(cases) >= 4, f"cv.glmnet cases in testdata/r: found {len(cases)}, expected 4")
    for case, d, meta in cases:
        inp, exp = os.path.join(d, "input.csv"), os.path.join(d, "expected.csv")
        s_file = os.path.join(d, "s.txt")
        s = open(s_file).read().strip() if os.path.isfile(s_file) else None
        rh, rr = read_csv(exp)
        for model in ("model.rds", "model_exact.json"):
            hint = ["--lambda", s] if s else []
            res = run(cli, "score", os.path.join(d, model), inp, "-o", "-", *hint)
            if not c.check(res.rc == 0, f"{case}/{model}: score {hint}: exit {res.rc}: {res.err.strip()[:300]}"):
                continue
            oh, orows = read_csv_text(res.out)
            problems = compare_predictions(oh, orows, rh, rr)
            c.check(not problems, f"{case}/{model} at {s or 'the default'} agrees with R's predict(): {problems[:3]}")
        # The other stored penalty predicts something else (else this case proves nothing).
        other = "lambda.1se" if s == "lambda.min" else "lambda.min"
        res = run(cli, "score", os.path.join(d, "model.rds"), inp, "-o", "-", "--lambda", other)
        if c.check(res.rc == 0, f"{case}: score --lambda {other}: exit {res.rc}: {res.err.strip()[:300]}"):
            oh, orows = read_csv_text(res.out)
            c.check(compare_predictions(oh, orows, rh, rr) != [],
                    f"{case}: --lambda {other} must differ from R's predictions at {s or 'lambda.1se'}")
        # inspect names the penalty used.
        if s in ("lambda.min", "lambda.1se"):
            res = run(cli, "inspect", os.path.join(d, "model.rds"), "--lambda", s, "--json")
            c.check(res.rc == 0 and s in res.out and meta[s] in res.out,
                    f"{case}: inspect --lambda {s} names {s} = {meta.get(s)}: exit {res.rc} {res.err[:200]}")
        # And the conversion writes that penalty: PMML scored back agrees with R.
        if s:
            pmml = os.path.join(work, f"{case}.pmml")
            res = run(cli, "convert", os.path.join(d, "model.rds"), pmml, "--lambda", s, "--data", inp,
                      "--expected", exp)
            c.check(res.rc == 0, f"{case}: convert to PMML at {s} agrees with R: exit {res.rc} {res.err[-300:]}")

    # naiveBayes predicted by R with predict(threshold = T).
    for case, d, meta in testdata_cases(args.source):
        if meta.get("family") != "naiveBayes" or meta.get("nb_threshold") is None:
            continue
        inp, exp = os.path.join(d, "input.csv"), os.path.join(d, "expected.csv")
        t = str(meta["nb_threshold"])
        res = run(cli, "score", os.path.join(d, "model.rds"), inp, "-o", "-", "--nb-threshold", t)
        if c.check(res.rc == 0, f"{case}: score --nb-threshold {t}: exit {res.rc} {res.err[:200]}"):
            eh, erows = read_csv(exp)
            oh, orows = read_csv_text(res.out)
            problems = compare_predictions(oh, orows, eh, erows)
            c.check(not problems, f"{case}: --nb-threshold {t} agrees with R: {problems[:3]}")
        res = run(cli, "score", os.path.join(d, "model.rds"), inp, "-o", "-")
        if c.check(res.rc == 0, f"{case}: score at the default threshold: exit {res.rc} {res.err[:200]}"):
            eh, erows = read_csv(exp)
            oh, orows = read_csv_text(res.out)
            c.check(bool(compare_predictions(oh, orows, eh, erows)),
                    f"{case}: the default threshold 0.001 must differ from R's predictions at {t}")

    # gbm: predict()'s own n.trees (the best iteration) by default, every tree with --n-trees all.
    n_gbm = 0
    for case, d, meta in testdata_cases(args.source):
        all_exp = os.path.join(d, "expected_all_trees.csv")
        if meta.get("class") != ["gbm"] or not os.path.isfile(all_exp):
            continue
        n_gbm += 1
        inp, exp = os.path.join(d, "input.csv"), os.path.join(d, "expected.csv")
        outs = {}
        for hint in ([], ["--n-trees", "all"]):
            res = run(cli, "score", os.path.join(d, "model.rds"), inp, "-o", "-", *hint)
            if c.check(res.rc == 0, f"{case}: score {' '.join(hint)}: exit {res.rc} {res.err[:200]}"):
                outs[bool(hint)] = read_csv_text(res.out)
                if not hint:
                    c.check("gbm-best-iteration" in res.err, f"{case}: the default names gbm-best-iteration: {res.err[:300]}")
        for all_trees, reference in ((False, exp), (True, all_exp)):
            if all_trees not in outs:
                continue
            eh, erows = read_csv(reference)
            oh, orows = outs[all_trees]
            c.check(not compare_predictions(oh, orows, eh, erows),
                    f"{case}: {'--n-trees all' if all_trees else 'the default'} agrees with {os.path.basename(reference)}")
            other = all_exp if reference == exp else exp
            eh, erows = read_csv(other)
            c.check(bool(compare_predictions(oh, orows, eh, erows)),
                    f"{case}: {'--n-trees all' if all_trees else 'the default'} must differ from {os.path.basename(other)}")
    c.check(n_gbm >= 2, f"gbm cases with expected_all_trees.csv: found {n_gbm}, expected 2")

    # Refusals: exit 2 with the hint named.
    td = os.path.join(args.source, "testdata", "r")
    refusals = [
        (["score", os.path.join(td, "lm_numeric", "model.rds"), os.path.join(td, "lm_numeric", "input.csv"),
          "--lambda", "0.1"], "--lambda", "lm"),
        (["score", os.path.join(td, "glmnet_elnet", "model.rds"), os.path.join(td, "glmnet_elnet", "input.csv"),
          "--lambda", "lambda.min"], "--lambda lambda.min", "cv.glmnet"),
        (["score", os.path.join(td, "cv_glmnet_elnet_min", "model.rds"),
          os.path.join(td, "cv_glmnet_elnet_min", "input.csv"), "--lambda", "lambda.max"], "lambda.max", "lambda.1se"),
        (["score", os.path.join(td, "cv_glmnet_elnet_min", "model.rds"),
          os.path.join(td, "cv_glmnet_elnet_min", "input.csv"), "--lambda", "-1"], "--lambda -1", "non-negative"),
        (["inspect", os.path.join(td, "rpart_class", "model.rds"), "--levels", "x=a,b"], "--levels", "rpart"),
        (["inspect", os.path.join(td, "lm_numeric", "model.rds"), "--nb-threshold", "0"], "--nb-threshold", "lm"),
        (["inspect", os.path.join(td, "lm_numeric", "model.rds"), "--n-trees", "all"], "--n-trees", "lm"),
        (["inspect", os.path.join(td, "gbm_cv_best", "model.rds"), "--n-trees", "0"], "--n-trees 0", "whole number"),
        (["inspect", os.path.join(td, "gbm_cv_best", "model.rds"), "--n-trees", "81"], "--n-trees 81", "1 to 80"),
        (["inspect", os.path.join(td, "naivebayes_numeric", "model.rds"), "--nb-threshold", "-1"], "--nb-threshold",
         ">= 0"),
    ]
    pmml = os.path.join(work, "lm_numeric.pmml")
    if run(cli, "convert", os.path.join(td, "lm_numeric", "model.rds"), pmml).rc == 0:
        refusals.append((["inspect", pmml, "--lambda", "0.1"], "--lambda", "pmml"))
    else:
        c.check(False, "lm_numeric converts to PMML")
    for argv, *words in refusals:
        res = run(cli, *argv)
        err = res.error_line() or ""
        c.check(res.rc == 2 and all(w in err for w in words),
                f"{' '.join(argv[:1] + argv[-2:])}: exit 2 naming {words}: exit {res.rc}, {err!r}")
    c.finish()


if __name__ == "__main__":
    main()
