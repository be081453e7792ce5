#!/usr/bin/env python3
"""CLI behaviour of inspect, score, hash, diff and help on the R models of testdata/r.

Truth comes from outside the binary: R's predict() output (expected.csv), the rows R scored
(input.csv: its columns are the model's predictors), meta.json (class, family, link), and the
SPEC (exit codes, column names, JSON with a "schema" field, the agreement rule).
"""
import json
import math
import os
import shutil

from clitest import (Checker, args_parser, compare_predictions, is_unsupported, num, only_columns, read_csv,
                     read_csv_text, run, work_dir)
import catalogue  # noqa: E402  (tests/catalogue.py; clitest puts tests/ on sys.path)


# The cases come from the catalogue (tests/catalogue.py): every linear and tree case of
# testdata/r, whose import is complete.  A known defect is an expected failure in its case.json
# ("expected_failures": {"cli.commands": reason}): its checks run, must fail, and the reason is
# printed; a case that starts passing fails the test until its case.json is updated.
KINDS = ("linear", "tree")
JSON15_CHECK = "cli.commands json15-warning"
HINTS_CHECK = "cli.commands refused-without-levels"


def check_refused_without_levels(c, cli, e):
    """A case that needs --levels is refused without it, naming the variable (README: "without it
    such a model is refused, naming the variable")."""
    names = [h.split("=", 1)[0] for i, h in enumerate(e.hints) if i > 0 and e.hints[i - 1] == "--levels"]
    if not names:
        return
    r = run(cli, "inspect", os.path.join(e.dir, "model.rds"))
    ok = r.rc == 2 and r.err.startswith("modelbridge: error: ") and any(f"'{n}'" in r.err for n in names)
    why = e.expected_failure(HINTS_CHECK)
    if why:
        c.check(not ok, f"{e.name}: expected failure of {HINTS_CHECK} no longer fails (update its case.json): {why}")
        print(f"expected failure: {e.name}: not refused without --levels: {why}")
    else:
        c.check(ok, f"{e.name}: without --levels: exit {r.rc}, {r.err.strip()[:200]!r}; want exit 2 naming {names}")


def squash(s):
    return "".join(ch for ch in s.lower() if ch.isalnum())


def input_columns(path):
    header, rows = read_csv(path)
    cols = {}
    for i, name in enumerate(header):
        cols[name] = [r[i] for r in rows if i < len(r) and r[i] not in ("", "NA")]
    return header, cols


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def check_inspect(c, cli, case, d, meta, entry):
    """inspect --json of model.rds and model_exact.json against input.csv, expected.csv and meta."""
    header, cols = input_columns(os.path.join(d, "input.csv"))
    exp_header, _ = read_csv(os.path.join(d, "expected.csv"))
    docs = {}
    for fname, fmt in (("model.rds", "rds"), ("model_exact.json", "rjson")):
        res = run(cli, "inspect", "--json", os.path.join(d, fname), *entry.hints)
        if fmt == "rjson" and entry.json_refused:
            c.check(res.rc == 2 and "unsupported" in res.err, f"{case}/{fname}: inspect exit {res.rc}, expected a "
                    f"clean refusal ({entry.json_refused}): {res.err.strip()}")
            continue
        if not c.check(res.rc == 0, f"{case}/{fname}: inspect --json exit {res.rc}: {res.err.strip()}"):
            continue
        doc = res.json()
        docs[fmt] = doc
        c.check(doc.get("schema", "").startswith("modelbridge/"), f"{case}/{fname}: inspect JSON schema field")
        c.check(doc["format"] == fmt, f"{case}/{fname}: format {doc['format']!r}, expected {fmt}")
        c.check(squash(meta["family"]) in squash(doc["family"]),
                f"{case}/{fname}: family {doc['family']!r} does not name R's family {meta['family']!r}")
        if meta.get("link") and meta["class"][0] == "glm":
            c.check(meta["link"] in doc["family"], f"{case}/{fname}: family {doc['family']!r} lacks link {meta['link']}")
        c.check(doc["source_class"] in meta["class"],
                f"{case}/{fname}: source class {doc['source_class']!r} not in R's class {meta['class']}")
        names = [i["name"] for i in doc["inputs"]]
        c.check(sorted(names) == sorted(header),
                f"{case}/{fname}: inputs {names} differ from the predictor columns of input.csv {header}")
        for inp in doc["inputs"]:
            values = cols.get(inp["name"], [])
            if inp["type"] == "continuous":
                bad = [v for v in values if not is_number(v)]
                c.check(not bad, f"{case}/{fname}: input {inp['name']} continuous but input.csv holds {bad[:3]}")
            else:
                levels = inp.get("levels", [])
                # A model whose policy reads an unseen level as missing (gbm, as predict.gbm
                # codes it NA) may meet one; otherwise every value of input.csv is a level.
                unseen = sorted(set(values) - set(levels)) if doc.get("unseen_levels") == "error" else []
                c.check(levels and not unseen,
                        f"{case}/{fname}: input {inp['name']} levels {levels} lack values of input.csv {unseen[:3]}")
        # Outputs and class order: R's expected.csv columns (SPEC names), link aside.
        want = [h for h in exp_header if h != "link"]
        c.check(doc["outputs"] == want, f"{case}/{fname}: outputs {doc['outputs']} vs R's columns {want}")
        probs = [h[len("probability("):-1] for h in exp_header if h.startswith("probability(")]
        if probs:
            c.check(doc["classes"] == probs, f"{case}/{fname}: classes {doc['classes']} vs R's order {probs}")
            c.check(doc["task"] == "classification", f"{case}/{fname}: task {doc['task']}")
        size = doc["size"]
        if doc["estimator"] == "linear":
            c.check(size.get("coefficients", 0) >= 1, f"{case}/{fname}: no coefficient count in {size}")
        if doc["estimator"] == "tree_ensemble":
            # Each split has two or three children (a missing-value child), so a tree of L leaves
            # has at least (L - 1) / 2 splits.
            ok = size.get("trees", 0) >= 1 and size.get("leaves", 0) >= size.get("trees", 0) \
                and size.get("max_depth", 0) >= 1 \
                and 2 * (size.get("nodes", 0) - size["leaves"]) >= size["leaves"] - size["trees"]
            c.check(ok, f"{case}/{fname}: tree size figures inconsistent: {size}")
        c.check(doc["precision"] == "double", f"{case}/{fname}: precision {doc['precision']}")
        h = run(cli, "hash", os.path.join(d, fname), *entry.hints).out.strip()
        hs = run(cli, "hash", "--schema", os.path.join(d, fname), *entry.hints).out.strip()
        c.check(doc["hash"] == h and doc["schema_hash"] == hs, f"{case}/{fname}: inspect hashes differ from `hash`")
    if len(docs) == 2:
        c.check(docs["rds"]["hash"] == docs["rjson"]["hash"], f"{case}: rds and exact JSON hash differently")
    # 15-digit JSON: when the lost digits change the model, the reader's warning says so.
    res = run(cli, "inspect", "--json", os.path.join(d, "model.json"), *entry.hints)
    if entry.json_refused:
        c.check(res.rc == 2 and "unsupported" in res.err, f"{case}/model.json: inspect exit {res.rc}, expected a "
                f"clean refusal: {res.err.strip()}")
    elif c.check(res.rc == 0, f"{case}/model.json: inspect exit {res.rc}: {res.err.strip()}") and "rds" in docs:
        doc = res.json()
        codes = [w["code"] for w in doc["warnings"]]
        lost = doc["hash"] != docs["rds"]["hash"]
        why = entry.expected_failure(JSON15_CHECK)
        if why:
            # Expected failure: the digits are lost but the reader cannot see it.
            c.check(lost and "json-15-digits" not in codes,
                    f"{case}/model.json: expected failure of the json-15-digits warning no longer fails "
                    f"(update its case.json): {why}")
            print(f"expected failure: {case}/model.json gives no json-15-digits warning: {why}")
        elif lost:
            c.check("json-15-digits" in codes, f"{case}/model.json: digits lost but no json-15-digits warning in {codes}")
    # Text form names the same things.
    res = run(cli, "inspect", os.path.join(d, "model.rds"), *entry.hints)
    if c.check(res.rc == 0, f"{case}: inspect text exit {res.rc}"):
        for name in header:
            c.check(name in res.out, f"{case}: inspect text does not list input {name}")
        c.check("sha256:" in res.out and "family:" in res.out, f"{case}: inspect text lacks family or hash")


def check_score(c, cli, case, d, work, hints=()):
    model = os.path.join(d, "model.rds")
    data = os.path.join(d, "input.csv")
    expected = os.path.join(d, "expected.csv")
    exp_header, exp_rows = read_csv(expected)
    link = "link" in exp_header
    extra = ["--link"] if link and "class" not in exp_header else []
    want = [h for h in exp_header if h != "link" or extra]
    extra += list(hints)
    res = run(cli, "score", model, data, *extra)
    if not c.check(res.rc == 0, f"{case}: score exit {res.rc}: {res.err.strip()}"):
        return
    header, rows = read_csv_text(res.out)
    c.check(header == want, f"{case}: score columns {header}, SPEC/R names {want}")
    problems = compare_predictions(header, rows, *only_columns(exp_header, exp_rows, want))
    c.check(not problems, f"{case}: score differs from R: {problems[:3]}")
    noise = [l for l in res.err.splitlines() if not l.startswith("modelbridge: warning: ")]
    c.check(not noise, f"{case}: score wrote more than warnings to stderr without a terminal: {noise[:2]!r}")
    # Standard input gives the same bytes.
    with open(data, "rb") as f:
        res_in = run(cli, "score", model, "-", *extra, stdin=f.read())
    c.check(res_in.rc == 0 and res_in.out == res.out, f"{case}: score from standard input differs")
    # -o writes the same bytes to a file and nothing to standard output.
    out = os.path.join(work, f"{case}.csv")
    res_o = run(cli, "score", model, data, "-o", out, *extra)
    ok = res_o.rc == 0 and res_o.out == "" and os.path.isfile(out) and open(out).read() == res.out
    c.check(ok, f"{case}: score -o differs from standard output")
    # --expected: R's own predictions agree (exit 0).
    res_e = run(cli, "score", model, data, "--expected", expected, *extra)
    c.check(res_e.rc == 0, f"{case}: score --expected R's predictions exit {res_e.rc}: {res_e.err[-300:]}")


def check_score_options(c, cli, source, work):
    d = os.path.join(source, "testdata", "r", "lm_factor")
    model, data = os.path.join(d, "model.rds"), os.path.join(d, "input.csv")
    in_header, in_rows = read_csv(data)
    # --keep copies input columns first.
    res = run(cli, "score", model, data, "--keep", "Species,Sepal.Width")
    header, rows = read_csv_text(res.out)
    c.check(res.rc == 0 and header == ["Species", "Sepal.Width", "prediction"], f"--keep header {header}")
    si, wi = in_header.index("Species"), in_header.index("Sepal.Width")
    c.check(all(r[0] == i[si] and r[1] == i[wi] for r, i in zip(rows, in_rows)) and len(rows) == len(in_rows),
            "--keep values differ from the input")
    res = run(cli, "score", model, data, "--keep", "nosuch")
    c.check(res.rc == 2 and "nosuch" in res.err, f"--keep unknown column: exit {res.rc} {res.err.strip()}")
    # --expected beyond tolerance: exit 1, report on stderr (stdout holds predictions).
    exp_header, exp_rows = read_csv(os.path.join(d, "expected.csv"))
    bad = os.path.join(work, "lm_factor_expected_shifted.csv")
    with open(bad, "w") as f:
        f.write(",".join(exp_header) + "\n")
        for i, r in enumerate(exp_rows):
            v = num(r[0])
            f.write((repr(v * (1 + 1e-6)) if i == 3 and not math.isnan(v) else r[0]) + "\n")
    res = run(cli, "score", model, data, "--expected", bad)
    c.check(res.rc == 1, f"score --expected with one row off by 1e-6: exit {res.rc}")
    c.check("beyond tolerance: 1" in res.err, f"score --expected report lacks 1 row beyond tolerance: {res.err[:400]!r}")
    c.check(read_csv_text(res.out)[0] == ["prediction"], "score --expected: predictions still on stdout")
    res = run(cli, "score", model, data, "--expected", bad, "--rtol", "1e-5")
    c.check(res.rc == 0, f"score --expected --rtol 1e-5 exit {res.rc}")
    # --threads: identical output, in order, on a larger file.
    for name in ("rf_class", "lm_factor"):
        dd = os.path.join(source, "testdata", "r", name)
        big = os.path.join(work, f"{name}_big.csv")
        with open(os.path.join(dd, "input.csv")) as f:
            lines = f.read().splitlines()
        with open(big, "w") as f:
            f.write(lines[0] + "\n")
            for k in range(40000):
                f.write(lines[1 + k % (len(lines) - 1)] + "\n")
        r1 = run(cli, "score", os.path.join(dd, "model.rds"), big, "--threads", "1")
        r3 = run(cli, "score", os.path.join(dd, "model.rds"), big, "--threads", "3")
        c.check(r1.rc == 0 and r3.rc == 0 and r1.out == r3.out and r1.out.count("\n") == 40001,
                f"{name}: --threads 3 output differs from --threads 1")
        # A bad row in the last slice is reported with its line, whatever the thread count.
        with open(big, "a") as f:
            f.write("x" * 3 + "," * (len(lines[0].split(",")) - 1) + "\n")
        r3 = run(cli, "score", os.path.join(dd, "model.rds"), big, "--threads", "3", "-o", os.path.join(work, "t.csv"))
        c.check(r3.rc == 2 and "line 40002" in r3.err and not os.path.exists(os.path.join(work, "t.csv")),
                f"{name}: --threads 3 bad last row: exit {r3.rc} {r3.err.strip()}")
    res = run(cli, "score", model, data, "--threads", "0")
    c.check(res.rc == 2, f"--threads 0 exit {res.rc}")
    # --progress forces the bar on; without a terminal it is off.
    res = run(cli, "score", model, data, "--progress", "-o", os.path.join(work, "p.csv"))
    c.check(res.rc == 0 and "rows" in res.err and "rows/s" in res.err and "%" in res.err,
            f"--progress on a regular file: {res.err!r}")
    res = run(cli, "score", model, "-", "--progress", stdin=open(data, "rb").read())
    c.check(res.rc == 0 and "rows/s" in res.err and "ETA" not in res.err, f"--progress on a pipe: {res.err!r}")
    # GLM --link column.
    dg = os.path.join(source, "testdata", "r", "glm_poisson_offset_arg")
    res = run(cli, "score", os.path.join(dg, "model.rds"), os.path.join(dg, "input.csv"), "--link")
    header, rows = read_csv_text(res.out)
    exp_header, exp_rows = read_csv(os.path.join(dg, "expected.csv"))
    c.check(res.rc == 0 and header == exp_header, f"glm --link columns {header} vs R {exp_header}")
    c.check(not compare_predictions(header, rows, exp_header, exp_rows), "glm --link values differ from R")


def check_hash_diff(c, cli, source, work):
    d = os.path.join(source, "testdata", "r")
    a = os.path.join(d, "glm_logit_factor", "model.rds")
    h = run(cli, "hash", a)
    c.check(h.rc == 0 and h.out.startswith("sha256:") and len(h.out.strip()) == 71, f"hash output {h.out!r}")
    hv = h.out.strip()
    c.check(run(cli, "hash", a, "--check", hv).rc == 0, "hash --check with its own hash")
    other = "sha256:" + ("0" * 64)
    r = run(cli, "hash", a, "--check", other)
    c.check(r.rc == 1 and "mismatch" in r.err, f"hash --check mismatch exit {r.rc}")
    r = run(cli, "hash", a, "--check", "nothex")
    c.check(r.rc == 2 and r.err.startswith("modelbridge: error:"), f"hash --check malformed exit {r.rc}")
    r = run(cli, "hash", a, "--json", "--check", hv)
    doc = r.json()
    c.check(r.rc == 0 and doc["schema"].startswith("modelbridge/") and doc["hash"] == hv and doc["match"] is True,
            f"hash --json {doc}")
    r = run(cli, "hash", a, "--canonical")
    c.check(r.rc == 0 and r.out.startswith("mb-canon/2 "), "hash --canonical prints the versioned form")
    r = run(cli, "hash", a, "--schema", "--canonical")
    c.check(r.rc == 0 and r.out.startswith("mb-canon-schema/1 "), "hash --schema --canonical")
    # --schema: same interface, other coefficients -> same schema hash, other model hash.
    exact = os.path.join(d, "glm_logit_factor", "model.json")
    c.check(run(cli, "hash", "--schema", a).out == run(cli, "hash", "--schema", exact).out,
            "15-digit JSON has the same interface hash")
    c.check(run(cli, "hash", a).out != run(cli, "hash", exact).out, "15-digit JSON coefficients change the hash")
    # diff: same model in two formats -> 0; converted ONNX -> 0; other model -> 1.
    r = run(cli, "diff", a, os.path.join(d, "glm_logit_factor", "model_exact.json"))
    c.check(r.rc == 0 and "equivalent" in r.out, f"diff rds vs exact JSON exit {r.rc}: {r.out}")
    onnx = os.path.join(work, "glm_logit_factor.onnx")
    r = run(cli, "convert", a, onnx)
    if c.check(r.rc == 0, f"convert to ONNX exit {r.rc}: {r.err}"):
        data = os.path.join(d, "glm_logit_factor", "input.csv")
        r = run(cli, "diff", a, onnx, "--data", data, "--json")
        doc = r.json()
        c.check(r.rc == 0 and doc["equivalent"] and doc["changes"] == [] and doc["predictions"]["rows"] == 65,
                f"diff R model vs its ONNX: exit {r.rc} {doc}")
    r = run(cli, "diff", a, os.path.join(d, "glm_probit", "model.rds"))
    c.check(r.rc == 1 and "different" in r.out, f"diff of two different models exit {r.rc}")
    kinds = {ch["kind"] for ch in run(cli, "diff", a, os.path.join(d, "glm_probit", "model.rds"), "--json").json()["changes"]}
    c.check({"input-added", "input-removed"} <= kinds, f"diff of unrelated models lists inputs: {kinds}")
    r = run(cli, "diff", a, exact, "--json")
    doc = r.json()
    c.check(r.rc == 1 and doc["schema"].startswith("modelbridge/")
            and all(ch["kind"] == "parameter-changed" for ch in doc["changes"]) and doc["changes"],
            f"diff rds vs 15-digit JSON: only parameters change: exit {r.rc}")
    r = run(cli, "diff", a, exact, "--data", os.path.join(d, "glm_logit_factor", "input.csv"))
    c.check(r.rc == 0, f"diff rds vs 15-digit JSON with --data: predictions agree within 1e-9: exit {r.rc}")
    r = run(cli, "diff", os.path.join(d, "lm_numeric", "model.rds"), os.path.join(d, "lm_factor", "model.rds"),
            "--data", os.path.join(d, "lm_factor", "input.csv"))
    c.check(r.rc == 2 and "missing column" in r.err and "lm_factor/input.csv:line 1:" in r.err,
            f"diff --data with a CSV for B only: exit {r.rc} {r.err.strip()}")


def check_help(c, cli):
    r = run(cli, "--help")
    c.check(r.rc == 0 and all(k in r.out for k in ("convert", "inspect", "diff", "hash", "score")), "--help lists commands")
    r = run(cli, "--version")
    c.check(r.rc == 0 and r.out.startswith("modelbridge "), f"--version {r.out!r}")
    for cmd in ("convert", "inspect", "diff", "hash", "score"):
        r = run(cli, cmd, "--help")
        c.check(r.rc == 0 and "--" in r.out, f"{cmd} --help exit {r.rc}")
        r = run(cli, "help", cmd)
        c.check(r.rc == 0 and len(r.out) > 100, f"help {cmd} exit {r.rc}")
    r = run(cli)
    c.check(r.rc == 2 and "Usage: modelbridge" in r.err and r.out == "", f"no command: exit {r.rc}, usage on stderr")
    r = run(cli, "frobnicate")
    c.check(r.rc == 2 and "frobnicate" in r.err, f"unknown command exit {r.rc}")
    r = run(cli, "score", "--no-such-option", "x")
    c.check(r.rc == 2 and r.err.startswith("modelbridge: error:"), f"unknown option exit {r.rc}")


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.commands")
    work = work_dir(args, "commands")
    entries = [e for e in catalogue.load(args.source) if e.kind in KINDS]
    c.check(len(entries) > 0, "the catalogue lists no linear or tree case")
    for e in entries:
        case, d, meta = e.name, e.dir, e.meta
        why = e.expected_failure("cli.commands")
        # An expected failure's checks go to a quiet checker of their own.
        target = Checker(f"cli.commands expected failure {case}", quiet=True) if why else c
        probe = run(args.cli, "inspect", os.path.join(d, "model.rds"), *e.hints)
        if target.check(probe.rc == 0, f"{case}: does not load: exit {probe.rc} {probe.err.strip()}"):
            check_inspect(target, args.cli, case, d, meta, e)
            check_score(target, args.cli, case, d, work, e.hints)
        check_refused_without_levels(c, args.cli, e)
        if why:
            c.check(len(target.failures) > 0,
                    f"{case}: listed as an expected failure of cli.commands but every check passes; update its "
                    f"case.json ({why})")
            print(f"expected failure: {case}: {why} ({len(target.failures)} checks fail, first: "
                  f"{(target.failures or [''])[0][:200]})")
    check_score_options(c, args.cli, args.source, work)
    check_hash_diff(c, args.cli, args.source, work)
    check_help(c, args.cli)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
