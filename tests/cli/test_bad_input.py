#!/usr/bin/env python3
"""Bad input: every command exits 2 with `modelbridge: error: FILE:PLACE: message` naming the
file and the place, and leaves no output file (complete or partial) behind.

Cases: malformed JSON, JSON that is not a model, an unsupported R class, a CSV missing a column,
an unseen level, a malformed CSV row, a non-number, an unwritable output path, a directory as
output or input, nonexistent files; `convert` with disagreement exits 1 and leaves OUT only with
--force.
"""
import os
import re
import shutil

from clitest import Checker, args_parser, listing, run, work_dir


def expect_error(c, res, what, file, place=None, words=(), code=2):
    """Exit `code`, one error line naming `file` (and `place` when given: a regex)."""
    line = res.error_line()
    ok = res.rc == code and line is not None
    if ok:
        rest = line[len("modelbridge: error: "):]
        ok = rest.startswith(file + ":")
        if ok and place is not None:
            ok = re.match(re.escape(file) + ":" + place + ": ", rest) is not None
        ok = ok and all(w in rest for w in words)
    c.check(ok, f"{what}: exit {res.rc}, stderr {res.err.strip()!r}; want exit {code} naming {file}"
                f"{' at ' + place if place else ''} and {list(words)}")


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.bad_input")
    cli = args.cli
    w = work_dir(args, "bad_input")
    for f in os.listdir(w):
        p = os.path.join(w, f)
        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    td = os.path.join(args.source, "testdata")
    lm = os.path.join(td, "r", "lm_factor")
    model, data = os.path.join(lm, "model.rds"), os.path.join(lm, "input.csv")
    with open(data) as f:
        lines = f.read().splitlines()

    def write(name, text):
        p = os.path.join(w, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    out_dir = os.path.join(w, "out")
    os.makedirs(out_dir)
    outs = {ext: os.path.join(out_dir, "result." + ext) for ext in ("csv", "pmml", "onnx")}

    # Models.
    bad_json = write("bad.json", '{"type": "list", "attributes": {}, "value": [1, 2,\n  ]}\n')
    res = run(cli, "inspect", bad_json)
    expect_error(c, res, "malformed JSON", bad_json, r"line 2(:col \d+)?", ["JSON"])
    not_model = write("notmodel.json", '{"type":"double","attributes":{},"value":[1,2,3]}')
    expect_error(c, run(cli, "hash", not_model), "JSON that is not a model", not_model, None, ["unsupported"])
    plain = write("plain.json", '{"coefficients": [1, 2]}')
    expect_error(c, run(cli, "inspect", plain), "plain JSON object", plain)
    svm = os.path.join(td, "r", "glmnet_elnet", "model.rds")
    unsupported = os.path.join(td, "r", "svm_class_linear", "model.rds")
    res = run(cli, "inspect", unsupported)
    if res.rc == 0:  # the class became supported: use a class no importer knows instead
        unsupported = write("unsupported.json", '{"type":"list","attributes":{"class":{"type":"character",'
                            '"attributes":{},"value":["frobnicator"]}},"value":[]}')
        res = run(cli, "inspect", unsupported)
    expect_error(c, res, "unsupported R class", unsupported, None, ["unsupported R class"])
    expect_error(c, run(cli, "inspect", os.path.join(w, "nonexistent.rds")), "nonexistent model",
                 os.path.join(w, "nonexistent.rds"), None, ["No such file"])
    expect_error(c, run(cli, "inspect", w), "directory as model", w, None, ["directory"])
    for f in ("malformed_not_xml.pmml", "malformed_missing_datafield.pmml", "malformed_unknown_function.pmml"):
        p = os.path.join(td, "pmml", f)
        expect_error(c, run(cli, "inspect", p), f"PMML {f}", p, r"line \d+.*")
    p = os.path.join(td, "onnx", "unsupported_op.onnx")
    expect_error(c, run(cli, "score", p, data), "ONNX with an unsupported operator", p, r"graph node .*", ["unsupported"])
    p = os.path.join(td, "malformed", "rds", "truncated_gzip.rds")
    expect_error(c, run(cli, "hash", p), "truncated .rds", p, r"[^:]+")
    # Data: each error names the CSV and its line; -o leaves nothing behind.
    cases = [
        ("missing column", "\n".join([",".join(h for h in lines[0].split(",") if "Species" not in h)]
                                      + [",".join(l.split(",")[:-1]) for l in lines[1:5]]) + "\n",
         r"line 1", ["Species"]),
        ("unseen level", "\n".join(lines[:6] + ['3.1,1.2,"daisy"'] + lines[6:9]) + "\n", r"line 7", ["daisy"]),
        ("malformed row", "\n".join(lines[:4] + ["3.1,1.2"] + lines[4:9]) + "\n", r"line 5", ["fields"]),
        ("unterminated quote", "\n".join(lines[:3] + ['3.1,1.2,"setosa']) + "\n", r"line 4", ["quote"]),
        ("not a number", "\n".join(lines[:2] + ["abc,1.2,setosa"] + lines[2:9]) + "\n", r"line 3", ["abc"]),
        # Two errors in one batch: the first in the file is the one reported.
        ("not a number before a malformed row", "\n".join(lines[:2] + ["abc,1.2,setosa"] + lines[2:5] + ["3.1,1.2"]
                                                        + lines[5:9]) + "\n", r"line 3", ["abc"]),
    ]
    for what, text, place, words in cases:
        p = write(what.replace(" ", "_") + ".csv", text)
        expect_error(c, run(cli, "score", model, p, "-o", outs["csv"]), f"score: {what}", p, place, words)
        expect_error(c, run(cli, "score", model, p, "-o", outs["csv"], "--threads", "2"), f"score, 2 threads: {what}",
                     p, place, words)
        expect_error(c, run(cli, "convert", model, outs["pmml"], "--data", p), f"convert --data: {what}", p, place, words)
        expect_error(c, run(cli, "diff", model, model, "--data", p), f"diff --data: {what}", p, place, words)
        # The same rows through standard input name "-".
        with open(p, "rb") as f:
            expect_error(c, run(cli, "score", model, "-", stdin=f.read()), f"score stdin: {what}", "-", place, words)
    # Rows past the first batch: the line number is still right and nothing is left behind.
    big = write("late_error.csv", "\n".join([lines[0]] + [lines[1 + i % (len(lines) - 1)] for i in range(20000)]
                                           + ["1,2,tulip"]) + "\n")
    expect_error(c, run(cli, "score", model, big, "-o", outs["csv"]), "late unseen level", big, r"line 20002", ["tulip"])
    expect_error(c, run(cli, "score", model, big, "-o", outs["csv"], "--threads", "2"), "late unseen level, 2 threads",
                 big, r"line 20002", ["tulip"])
    expect_error(c, run(cli, "score", model, os.path.join(w, "nonexistent.csv")), "nonexistent CSV",
                 os.path.join(w, "nonexistent.csv"), None, ["No such file"])
    expect_error(c, run(cli, "score", model, data, "--expected", os.path.join(w, "nonexistent.csv"), "-o", outs["csv"]),
                 "nonexistent --expected", os.path.join(w, "nonexistent.csv"))
    # Outputs that cannot be written.
    unwritable = os.path.join(w, "no_such_dir", "x.csv")
    expect_error(c, run(cli, "score", model, data, "-o", unwritable), "unwritable -o", unwritable, None, ["cannot write"])
    expect_error(c, run(cli, "score", model, data, "-o", out_dir), "directory as -o", out_dir, None, ["directory"])
    expect_error(c, run(cli, "convert", model, out_dir, "--to", "pmml"), "directory as OUT", out_dir, None, ["directory"])
    unwritable = os.path.join(w, "no_such_dir", "x.pmml")
    expect_error(c, run(cli, "convert", model, unwritable), "unwritable OUT", unwritable, None, ["cannot write"])
    # A parent that is a regular file cannot hold OUT, whoever runs the test (root too).
    blocker = os.path.join(w, "regular_file")
    with open(blocker, "w") as f:
        f.write("not a directory\n")
    p = os.path.join(blocker, "x.onnx")
    expect_error(c, run(cli, "convert", model, p), "OUT under a regular file", p, None, ["cannot write"])
    c.check(open(blocker).read() == "not a directory\n", "the regular file in OUT's path changed")
    # A read-only directory stops only a user without root's override.
    if os.geteuid() == 0:
        print("not run as root (root writes into read-only directories): read-only directory as OUT's parent")
    else:
        ro = os.path.join(w, "readonly")
        os.makedirs(ro)
        os.chmod(ro, 0o555)
        p = os.path.join(ro, "x.onnx")
        expect_error(c, run(cli, "convert", model, p), "read-only directory", p, None, ["cannot write"])
        c.check(listing(ro) == [], f"read-only directory holds {listing(ro)}")
        os.chmod(ro, 0o755)
    # convert: unsupported conversion says "unsupported"; nothing written.
    tree = os.path.join(args.source, "testdata", "pmml", "trees", "multiway_xor_default_child.pmml")
    res = run(cli, "convert", tree, os.path.join(out_dir, "x.rds"))
    c.check(res.rc == 2 and "unsupported" in res.err, f"convert a PMML tree to rds: exit {res.rc} {res.err.strip()}")
    c.check(listing(out_dir) == [], f"failed commands left files behind: {listing(out_dir)}")
    # convert with disagreement: float32 ONNX beyond rtol 1e-12 -> exit 1, OUT only with --force.
    res = run(cli, "convert", model, outs["onnx"], "--precision", "float", "--data", data, "--rtol", "1e-12")
    c.check(res.rc == 1 and "not written" in res.err, f"convert disagreement: exit {res.rc} {res.err.strip()}")
    c.check(listing(out_dir) == [], f"convert disagreement left {listing(out_dir)}")
    res = run(cli, "convert", model, outs["onnx"], "--precision", "float", "--data", data, "--rtol", "1e-12", "--force")
    c.check(res.rc == 1 and os.path.isfile(outs["onnx"]), f"convert --force: exit {res.rc}, files {listing(out_dir)}")
    c.check(listing(out_dir) == ["result.onnx"], f"convert --force left {listing(out_dir)}")
    os.remove(outs["onnx"])
    # --expected disagreeing with the source: exit 1, nothing written.
    other = os.path.join(td, "r", "lm_contr_sum", "expected.csv")
    res = run(cli, "convert", model, outs["pmml"], "--data", data, "--expected", other)
    c.check(res.rc in (1, 2) and listing(out_dir) == [], f"convert --expected mismatch: exit {res.rc}, {listing(out_dir)}")
    # --strict with a warning: exit 2, nothing written.
    j15 = os.path.join(lm, "model.json")
    res = run(cli, "convert", j15, outs["pmml"], "--strict")
    c.check(res.rc == 2 and listing(out_dir) == [], f"convert --strict with a warning: exit {res.rc}, {listing(out_dir)}")
    # A successful run writes exactly one file (no temporary left).
    res = run(cli, "score", model, data, "-o", outs["csv"])
    c.check(res.rc == 0 and listing(out_dir) == ["result.csv"], f"score -o left {listing(out_dir)}")
    # An existing output is not clobbered by a failing run.
    before = open(outs["csv"]).read()
    bad = os.path.join(w, "unseen_level.csv")
    run(cli, "score", model, bad, "-o", outs["csv"])
    c.check(open(outs["csv"]).read() == before and listing(out_dir) == ["result.csv"],
            "a failing score replaced or touched an existing output")
    # Usage errors.
    for argv, what in ((["score", model, data, "--threads", "x"], "non-numeric --threads"),
                       (["convert", model, outs["pmml"], "--to", "xlsx"], "unknown --to"),
                       (["inspect", model, "--from", "sas"], "unknown --from"),
                       (["score", model, data, "--rtol", "-1"], "negative --rtol"),
                       (["score", model, data, "--levels", "education"], "--levels without '='"),
                       (["score", model, data, "--lambda", "small"], "non-numeric --lambda")):
        res = run(cli, *argv)
        c.check(res.rc == 2 and res.err.startswith("modelbridge: error:"), f"{what}: exit {res.rc} {res.err.strip()}")
    res = run(cli, "inspect", model, "--from", "pmml")
    expect_error(c, res, "--from pmml on an .rds", model)
    # --onnx-trees ml5 needs a tree ensemble and an ONNX output: usage errors, nothing written.
    tree = os.path.join(td, "r", "rpart_class", "model.rds")
    expect_error(c, run(cli, "convert", model, outs["onnx"], "--onnx-trees", "ml5"), "--onnx-trees ml5 on a linear model",
                 model, None, ["--onnx-trees", "tree ensembles only"])
    for argv, what, words in ((["convert", tree, outs["pmml"], "--onnx-trees", "ml5"], "--onnx-trees ml5 to PMML",
                               ["--onnx-trees", "ONNX output only"]),
                              (["convert", tree, outs["onnx"], "--onnx-trees", "ml4"], "unknown --onnx-trees", ["ml4"])):
        res = run(cli, *argv)
        c.check(res.rc == 2 and res.err.startswith("modelbridge: error:") and all(x in res.err for x in words),
                f"{what}: exit {res.rc} {res.err.strip()}")
    c.check(listing(out_dir) == ["result.csv"], f"refused --onnx-trees runs left {listing(out_dir)}")
    c.finish()


if __name__ == "__main__":
    main()
