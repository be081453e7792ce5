#!/usr/bin/env python3
"""Writes the hostile PMML files of testdata/malformed/pmml (run from the repository root).
Elements nested a few thousand deep (each must stop at the xml-depth limit, quickly, without
recursing through the stack), an Array whose n attribute is negative and an unknown optype.
Files named fuzz_* are findings of the libFuzzer targets (tests/fuzz, docs/fuzzing.md), kept as
found; each once crashed the reader.  (In fuzz_naive_bayes_paircounts_continuous.pmml the
mangled optype of Age, which the reader once took for continuous, now says continuous: unknown
optypes are refused since, and the file still reaches the naive Bayes check it was kept for.)"""
from pathlib import Path

OUT = Path("testdata/malformed/pmml")
DEPTH = 3000

HEAD = """<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
  <Header/>
  <DataDictionary numberOfFields="3">
    <DataField name="x1" optype="continuous" dataType="double"/>
    <DataField name="g" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
"""
SCHEMA = """<MiningSchema><MiningField name="x1"/><MiningField name="g"/><MiningField name="y" usageType="target"/></MiningSchema>"""
REGRESSION = """<RegressionModel functionName="regression">""" + SCHEMA + """
    <RegressionTable intercept="1"><NumericPredictor name="{field}" coefficient="2"/></RegressionTable>
  </RegressionModel>"""


def tree(node_inner):
    return ('<TreeModel functionName="regression">' + SCHEMA + node_inner + "</TreeModel>")


def write(name, body):
    (OUT / name).write_text(HEAD + body + "\n</PMML>\n")


def main():
    apply = '<FieldRef field="x1"/>'
    for _ in range(DEPTH):
        apply = f'<Apply function="+">{apply}<Constant>1</Constant></Apply>'
    write("deep_apply.pmml", '<TransformationDictionary><DerivedField name="z" optype="continuous" dataType="double">'
          + apply + "</DerivedField></TransformationDictionary>" + REGRESSION.format(field="z"))

    pred = '<SimplePredicate field="x1" operator="lessThan" value="0"/>'
    for _ in range(DEPTH):
        pred = f'<CompoundPredicate booleanOperator="and">{pred}<True/></CompoundPredicate>'
    write("deep_compound_predicate.pmml", tree(f'<Node score="0"><True/><Node score="1">{pred}</Node></Node>'))

    seg = tree('<Node score="1"><True/></Node>')
    for _ in range(DEPTH // 3):  # three elements a level
        seg = ('<MiningModel functionName="regression">' + SCHEMA + '<Segmentation multipleModelMethod="sum">'
               f"<Segment><True/>{seg}</Segment></Segmentation></MiningModel>")
    write("deep_segmentation.pmml", seg)

    ext = "<Extension>" * DEPTH + "</Extension>" * DEPTH
    write("deep_extension.pmml", REGRESSION.format(field="x1").replace("<MiningSchema>", ext + "<MiningSchema>", 1))

    node = '<Node score="1"><SimplePredicate field="x1" operator="lessThan" value="0"/></Node>'
    for i in range(DEPTH):
        node = f'<Node score="{i}"><SimplePredicate field="x1" operator="lessThan" value="{i}"/>{node}</Node>'
    write("deep_node.pmml", tree(f'<Node score="0"><True/>{node}</Node>'))

    write("array_negative_n.pmml", tree('<Node score="0"><True/><Node score="1"><SimpleSetPredicate field="g" '
                                        'booleanOperator="isIn"><Array n="-5" type="string">a</Array>'
                                        '</SimpleSetPredicate></Node></Node>'))
    write("array_wrong_n.pmml", tree('<Node score="0"><True/><Node score="1"><SimpleSetPredicate field="g" '
                                     'booleanOperator="isIn"><Array n="3" type="string">a b</Array>'
                                     '</SimpleSetPredicate></Node></Node>'))

    # An optype no PMML version has (a misspelling): reading it as continuous would be a guess.
    (OUT / "unknown_optype.pmml").write_text(
        HEAD.replace('name="x1" optype="continuous"', 'name="x1" optype="contiuous"')
        + REGRESSION.format(field="x1") + "\n</PMML>\n")


if __name__ == "__main__":
    main()
