#!/usr/bin/env python3
"""The semantic hash: the same model in every format that holds it exactly hashes the same; what
does not reach a prediction does not change it; one ulp of any parameter does.

1. Every testdata/r case: model.rds and model_exact.json (17 digits) hash the same; the PMML and
   double ONNX files `convert` writes hash the same as the .rds (linear models and every tree
   class: the trees' canonical form is the function they compute, lib/canon/tree_canon.hpp).  The 15-digit model.json hashes
   the same only when every number in it equals the 17-digit file's; the json15-flip case (a tree
   whose split points moved) hashes differently.
2. Written PMML: compact vs pretty XML, attributes in reverse order, DataFields reordered, another
   Application (producer), renumbered tree Node ids -> same hash; one ulp up in a coefficient, the
   intercept, a split threshold or a leaf score -> another hash.
3. Written ONNX (with the onnx package of Debian's /usr/bin/python3 when present): producer,
   metadata, doc strings and node names changed -> same hash; one ulp of a double initializer ->
   another hash; ai.onnx.ml tree node ids renumbered -> same hash.
"""
import json
import math
import os
import re
import shutil
import subprocess
import xml.dom.minidom
import xml.etree.ElementTree as ET

from clitest import Checker, args_parser, is_unsupported, judges, run, work_dir
import catalogue  # noqa: E402  (tests/catalogue.py; clitest puts tests/ on sys.path)

PY_ONNX = "/usr/bin/python3"


def h(cli, path, hints=()):
    r = run(cli, "hash", path, *hints)
    return r.out.strip() if r.rc == 0 else None


def numbers_and_strings(node, out):
    if isinstance(node, dict):
        for k in sorted(node):
            numbers_and_strings(node[k], out)
    elif isinstance(node, list):
        for x in node:
            numbers_and_strings(x, out)
    else:
        out.append(node)


def json_same_values(a_path, b_path):
    """True when the two jsonlite files hold the same doubles and strings."""
    with open(a_path) as f:
        a = json.load(f, parse_float=float)
    with open(b_path) as f:
        b = json.load(f, parse_float=float)
    xa, xb = [], []
    numbers_and_strings(a, xa)
    numbers_and_strings(b, xb)
    if len(xa) != len(xb):
        return False
    for x, y in zip(xa, xb):
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y:
            return False
    return True


def cross_formats(c, cli, source, w):
    """Every linear and tree case of the catalogue: the .rds hash is the hash of its exact JSON
    and of each conversion case.json says it must pass; a conversion case.json marks "refused"
    must be refused cleanly or hash the same."""
    entries = [e for e in catalogue.load(source) if e.kind in ("linear", "tree")]
    c.check(len(entries) > 0, "the catalogue lists no linear or tree case")
    counts = {"pmml": 0, "onnx": 0}
    written = {}
    for e in entries:
        case, d, meta, hints = e.name, e.dir, e.meta, e.hints
        h_rds = h(cli, os.path.join(d, "model.rds"), hints)
        if not c.check(h_rds is not None, f"{case}: hash of model.rds fails: {run(cli, 'hash', os.path.join(d, 'model.rds'), *hints).err.strip()}"):
            continue
        c.check(h(cli, os.path.join(d, "model_exact.json"), hints) == h_rds,
                f"{case}: model_exact.json hashes differently from model.rds")
        h15 = h(cli, os.path.join(d, "model.json"), hints)
        if "json15-flip" in meta["features"]:
            c.check(h15 != h_rds, f"{case}: 15-digit JSON moved split points but hashes the same")
        elif json_same_values(os.path.join(d, "model.json"), os.path.join(d, "model_exact.json")):
            c.check(h15 == h_rds, f"{case}: 15-digit JSON holds the same numbers but hashes differently")
        for fmt in ("pmml", "onnx"):
            out = os.path.join(w, f"{case}.{fmt}")
            r = run(cli, "convert", os.path.join(d, "model.rds"), out, *hints)
            if r.rc != 0:
                if e.must_convert(fmt):
                    c.check(False, f"{case}: convert to {fmt} (must pass, case.json): exit {r.rc} {r.err.strip()}")
                else:
                    c.check(is_unsupported(r) and not os.path.exists(out),
                            f"{case}: convert to {fmt} failed without saying unsupported: exit {r.rc} {r.err.strip()}")
                    print(f"refused as case.json says: {case} to {fmt}: {r.err.strip()[:160]}")
                continue
            written[(case, fmt)] = out
            same = h(cli, out) == h_rds
            known = e.expected_failure(f"cli.hash_invariance:{fmt}")
            if known:  # a known defect (case.json): it must still show, else the entry goes
                c.check(not same, f"{case}: {fmt} conversion now hashes the same; remove its expected failure")
                if not same:
                    print(f"expected failure: {case}: {fmt} conversion hashes differently: {known}")
                continue
            c.check(same, f"{case}: {fmt} conversion hashes differently from the .rds")
            counts[fmt] += same
    for fmt, n in counts.items():
        must = sum(1 for e in entries if e.must_convert(fmt))
        print(f"{n} lm/glm/tree cases hash the same through {fmt} ({must} must convert, {len(entries)} in the catalogue)")
    return written


def ulp_up(text):
    v = float(text)
    return repr(math.nextafter(v, math.inf))


def pmml_edits(c, cli, w, case, path, linear):
    base = h(cli, path)
    with open(path, "rb") as f:
        raw = f.read()
    ET.register_namespace("", "http://www.dmg.org/PMML-4_4")

    def variant(name, mutate, same, raw_text=None):
        out = os.path.join(w, f"{case}.{name}.pmml")
        if raw_text is not None:
            data = raw_text
        else:
            root = ET.fromstring(raw)
            if mutate(root) is False:
                print(f"not applicable: {case} {name}")
                return
            data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        with open(out, "wb") as f:
            f.write(data)
        got = h(cli, out)
        if got is None:
            c.check(False, f"{case} PMML {name}: does not read back: {run(cli, 'hash', out).err.strip()}")
        elif same:
            c.check(got == base, f"{case} PMML {name}: hash changed")
        else:
            c.check(got != base, f"{case} PMML {name}: hash did not change")

    def strip_ws(root):
        for e in root.iter():
            if e.text is not None and not e.text.strip():
                e.text = None
            e.tail = None

    def compact(root):
        strip_ws(root)

    variant("compact", compact, True)
    root = ET.fromstring(raw)
    strip_ws(root)
    pretty = xml.dom.minidom.parseString(ET.tostring(root)).toprettyxml(indent="    ", encoding="utf-8")
    variant("pretty", None, True, raw_text=pretty)

    def reverse_attributes(root):
        for e in root.iter():
            items = list(e.attrib.items())[::-1]
            e.attrib.clear()
            e.attrib.update(items)

    variant("attributes-reversed", reverse_attributes, True)

    def tag(e):
        return e.tag.split("}")[-1]

    def find_all(root, name):
        return [e for e in root.iter() if tag(e) == name]

    def reorder_fields(root):
        dd = find_all(root, "DataDictionary")[0]
        fields = [e for e in dd if tag(e) == "DataField"]
        if len(fields) < 2:
            return False
        for e in fields:
            dd.remove(e)
        for e in fields[::-1]:
            dd.append(e)

    variant("datafields-reversed", reorder_fields, True)

    def producer(root):
        for app in find_all(root, "Application"):
            app.set("name", "SomeOtherTool")
            app.set("version", "9.9")
        hdr = find_all(root, "Header")
        if hdr:
            hdr[0].set("description", "edited description")
            hdr[0].set("copyright", "nobody")

    variant("producer", producer, True)

    def renumber_nodes(root):
        nodes = find_all(root, "Node")
        if not nodes:
            return False
        for k, n in enumerate(nodes):
            n.set("id", f"n{len(nodes) - k}x")

    variant("node-ids-renumbered", renumber_nodes, True)

    def first_attr(name, attr, pred=lambda e: True):
        def mutate(root):
            for e in find_all(root, name):
                if attr in e.attrib and pred(e):
                    try:
                        float(e.get(attr))
                    except ValueError:
                        continue
                    e.set(attr, ulp_up(e.get(attr)))
                    return True
            return False
        return mutate

    if linear:
        variant("coefficient-ulp", first_attr("NumericPredictor", "coefficient"), False)
        variant("intercept-ulp", first_attr("RegressionTable", "intercept", lambda e: float(e.get("intercept")) != 0),
                False)
        return
    variant("threshold-ulp", first_attr("SimplePredicate", "value",
                                       lambda e: e.get("operator") in ("lessThan", "lessOrEqual", "greaterThan",
                                                                       "greaterOrEqual")), False)

    def leaf_ulp(root):
        for n in find_all(root, "Node"):
            if not any(tag(ch) == "Node" for ch in n) and n.get("score") is not None:
                try:
                    float(n.get("score"))
                except ValueError:
                    continue  # a class label
                n.set("score", ulp_up(n.get("score")))
                return True
            dists = [ch for ch in n if tag(ch) == "ScoreDistribution" and ch.get("probability")]
            if not any(tag(ch) == "Node" for ch in n) and dists:
                p = dists[0].get("probability")
                dists[0].set("probability", ulp_up(p) if float(p) != 0 else "5e-324")
                return True
        return False

    variant("leaf-ulp", leaf_ulp, False)


def onnx_edits(c, cli, w, case, path):
    base = h(cli, path)
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_edit.py")
    for cmd, extra, same in (("metadata", [], True), ("ulp", [], False), ("renumber", [], True),
                             ("tree-ulp", ["threshold"], False), ("tree-ulp", ["leaf"], False)):
        name = cmd + "-" + "-".join(extra) if extra else cmd
        out = os.path.join(w, f"{case}.{name}.onnx")
        p = subprocess.run([PY_ONNX, tool, cmd, path, out, *extra], capture_output=True, text=True)
        if p.returncode == 77:
            print(f"not applicable: {case} ONNX {name}")
            continue
        if not c.check(p.returncode == 0, f"{case} ONNX edit {name} failed: {p.stderr[-300:]}"):
            continue
        got = h(cli, out)
        if same:
            c.check(got == base, f"{case} ONNX {name}: hash changed")
        else:
            c.check(got is not None and got != base, f"{case} ONNX {name}: hash did not change")


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.hash_invariance")
    w = work_dir(args, "hash_invariance")
    written = cross_formats(c, args.cli, args.source, w)
    for case in ("lm_factor", "glm_logit_factor", "lm_poly2", "rpart_anova", "rf_class", "gbm_bernoulli"):
        if c.check((case, "pmml") in written, f"{case}: no PMML conversion to edit"):
            pmml_edits(c, args.cli, w, case, written[(case, "pmml")], case.startswith(("lm_", "glm_")))
    if judges.have_python_onnx("the ONNX edits were not made"):
        for case in ("lm_factor", "glm_logit_factor", "rf_regression", "gbm_gaussian"):
            if c.check((case, "onnx") in written, f"{case}: no ONNX conversion to edit"):
                onnx_edits(c, args.cli, w, case, written[(case, "onnx")])
    c.finish()


if __name__ == "__main__":
    main()
