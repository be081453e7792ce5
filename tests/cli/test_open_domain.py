#!/usr/bin/env python3
"""A PMML categorical field that lists no values (an open domain, as rattle and other producers
write them): every label is valid, NormDiscrete is 1 for its value and 0 for any other label
(never missing), and a missing label stays missing (PMML 4.4, DataDictionary and NormDiscrete).

testdata/pmml/open_domain_regression.pmml is y = 1.5 + 2 x + 3 [color = red] + 5 [color = blue];
the expected values are computed here from that formula, not by modelbridge.
  1. `score` of the PMML equals the formula, for listed labels, other labels (including one
     spelled like the internal "other" level and one differing only in case) and a missing one.
  2. `inspect` says the domain is open.
  3. `convert` to ONNX keeps the hash; onnxruntime scores the file equal to the formula, and
     onnx.checker accepts it; `score` of the file read back agrees as well.
  4. `convert` to PMML writes the field without values, the file validates against the DMG 4.4
     XSD, and its score agrees.
  5. `convert` to .rds is refused with exit 2: an R factor has a fixed set of levels.
"""
import os
import subprocess

from clitest import Checker, args_parser, compare_predictions, read_csv_text, run, work_dir
import judges  # noqa: E402  (tests/judges.py; clitest puts tests/ on sys.path)

ROWS = [("1", "red"), ("2", "blue"), ("3", "green"), ("4", ""), ("0.5", "(other)"), ("-1", "Red"),
        ("2.25", "blue ")]


def formula(x, color):
    if color.strip() == "":
        return "NA"
    return repr(1.5 + 2 * float(x) + 3 * (color == "red") + 5 * (color == "blue"))


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.open_domain")
    w = work_dir(args, "open_domain")
    cli = args.cli
    pmml = os.path.join(args.source, "testdata", "pmml", "open_domain_regression.pmml")
    inp = os.path.join(w, "input.csv")
    with open(inp, "w", encoding="utf-8") as f:
        f.write("x,color\n" + "".join(f'{x},"{col}"\n' if col.strip() else f"{x},\n" for x, col in ROWS))
    eh, erows = ["prediction"], [[formula(x, col)] for x, col in ROWS]

    def agrees(what, text):
        oh, orows = read_csv_text(text)
        p = compare_predictions(oh, orows, eh, erows)
        c.check(not p, f"{what} equals the formula: {p[:3]}")

    s = run(cli, "score", pmml, inp)
    if c.check(s.rc == 0, f"score the PMML (exit {s.rc}): {s.err.strip()[:300]}"):
        agrees("PMML score", s.out)
    i = run(cli, "inspect", pmml)
    c.check(i.rc == 0 and "open" in next((l for l in i.out.splitlines() if l.strip().startswith("color")), ""),
            f"inspect names the open domain: {i.out[:400]}")
    h_src = run(cli, "hash", pmml).out.strip()

    # ONNX
    onnx = os.path.join(w, "open.onnx")
    r = run(cli, "convert", pmml, onnx, "--data", inp)
    if c.check(r.rc == 0 and os.path.isfile(onnx), f"convert to ONNX (exit {r.rc}): {r.err.strip()[:300]}"):
        c.check("unseen-level" not in r.out + r.err, "no unseen-level warning for an open domain")
        c.check(run(cli, "hash", onnx).out.strip() == h_src, "the ONNX file has the source's hash")
        s = run(cli, "score", onnx, inp)
        if c.check(s.rc == 0, f"score the ONNX file: {s.err.strip()[:300]}"):
            agrees("ONNX read back", s.out)
        node_path = os.path.join(os.path.dirname(os.path.abspath(cli)), "node", "node_modules")
        if judges.have_ort(os.path.dirname(node_path), "onnxruntime did not score the ONNX file"):
            x = subprocess.run(["node", judges.ORT_SCORE, onnx, inp], capture_output=True, text=True,
                               env=dict(os.environ, NODE_PATH=node_path))
            if c.check(x.returncode == 0, f"onnxruntime scores the file: {x.stderr[-300:]}"):
                agrees("onnxruntime", x.stdout)
        if judges.have_python_onnx("onnx.checker did not check the ONNX file"):
            x = subprocess.run([judges.PY_ONNX, "-c", "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
                                "full_check=True)", onnx], capture_output=True, text=True)
            c.check(x.returncode == 0, f"onnx.checker accepts the file: {x.stderr[-300:]}")

    # PMML
    out = os.path.join(w, "open.pmml")
    r = run(cli, "convert", pmml, out, "--data", inp)
    if c.check(r.rc == 0 and os.path.isfile(out), f"convert to PMML (exit {r.rc}): {r.err.strip()[:300]}"):
        text = open(out, encoding="utf-8").read()
        start = text.find('name="color"')
        field = text[start:text.find("</DataField>", start)] if "</DataField>" in text[start:start + 400] else ""
        c.check(start >= 0 and "<Value" not in field, "the written DataField 'color' lists no values")
        xsd = os.path.join(args.source, "..", "shared", "corpus", "pmml", "schema", "pmml-4-4.xsd")
        if judges.have_path(xsd, "the DMG PMML 4.4 XSD", "the PMML file was not validated") and \
                judges.have_tool("xmllint", "libxml2-utils", "the PMML file was not validated"):
            x = subprocess.run(["xmllint", "--noout", "--schema", xsd, out], capture_output=True, text=True)
            c.check(x.returncode == 0, f"the written PMML validates: {x.stderr[-300:]}")
        s = run(cli, "score", out, inp)
        if c.check(s.rc == 0, f"score the written PMML: {s.err.strip()[:300]}"):
            agrees("written PMML", s.out)

    # R
    rds = os.path.join(w, "open.rds")
    r = run(cli, "convert", pmml, rds)
    c.check(r.rc == 2 and "takes any label" in r.err and not os.path.exists(rds),
            f"convert to .rds is refused with exit 2 naming the open field (exit {r.rc}): {r.err.strip()[:300]}")

    # 6. An isMissing predicate on an open field names no value: it adds no level (an empty-string
    #    level once appeared, and the ONNX file then sent a missing label to "other" in
    #    onnxruntime while modelbridge read it as missing).  A tree: missing 10, red 20, else 30.
    tree = os.path.join(w, "open_tree.pmml")
    with open(tree, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0"?>\n<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/>'
                '<DataDictionary numberOfFields="2"><DataField name="color" optype="categorical" dataType="string"/>'
                '<DataField name="y" optype="continuous" dataType="double"/></DataDictionary>'
                '<TreeModel functionName="regression"><MiningSchema><MiningField name="color"/>'
                '<MiningField name="y" usageType="target"/></MiningSchema><Node score="0"><True/>'
                '<Node score="10"><SimplePredicate field="color" operator="isMissing"/></Node>'
                '<Node score="20"><SimplePredicate field="color" operator="equal" value="red"/></Node>'
                '<Node score="30"><True/></Node></Node></TreeModel></PMML>\n')
    tin = os.path.join(w, "tree_input.csv")
    labels = ["red", "", "blue", "green", "red", ""]
    with open(tin, "w", encoding="utf-8") as f:
        # An id column: a one-column CSV would hold blank lines, which readers may skip.
        f.write("id,color\n" + "".join(f'{k},"{l}"\n' if l else f"{k},\n" for k, l in enumerate(labels)))
    want = [["10" if not l else "20" if l == "red" else "30"] for l in labels]

    def tree_agrees(what, text):
        oh, orows = read_csv_text(text)
        p = compare_predictions(oh, orows, ["prediction"], want)
        c.check(not p, f"{what} scores missing 10, red 20, other labels 30: {p[:3]}")

    i = run(cli, "inspect", tree, "--json")
    levels = [x.get("levels") for x in i.json().get("inputs", [])] if i.rc == 0 else None
    c.check(i.rc == 0 and levels and "" not in (levels[0] or []), f"isMissing adds no level: {levels}")
    s = run(cli, "score", tree, tin)
    if c.check(s.rc == 0, f"score the tree PMML: {s.err.strip()[:300]}"):
        tree_agrees("the tree PMML", s.out)
    tonnx = os.path.join(w, "open_tree.onnx")
    r = run(cli, "convert", tree, tonnx)
    if c.check(r.rc == 0, f"convert the tree to ONNX (exit {r.rc}): {r.err.strip()[:300]}"):
        node_path = os.path.join(os.path.dirname(os.path.abspath(cli)), "node", "node_modules")
        if judges.have_ort(os.path.dirname(node_path), "onnxruntime did not score the ONNX tree"):
            x = subprocess.run(["node", judges.ORT_SCORE, tonnx, tin], capture_output=True, text=True,
                               env=dict(os.environ, NODE_PATH=node_path))
            if c.check(x.returncode == 0, f"onnxruntime scores the tree: {x.stderr[-300:]}"):
                tree_agrees("onnxruntime", x.stdout)
    c.finish()


if __name__ == "__main__":
    main()
