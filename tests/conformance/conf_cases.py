"""Discovery of conformance cases in the shared corpus (PMML side and common types).

A Case names a model, an input CSV and the reference columns (Checks) our `score` output must
match.  Cases that cannot be expressed as CSV scoring are kept with a `reason` (not runnable)
so the report says what the corpus holds and why it was not run.
"""

import csv
import glob
import json
import math
import os
import re
import xml.etree.ElementTree as ET

from conf_compare import Check, Tolerance, pmml_equivalence, read_columns


class Case:
    def __init__(self, cid, fmt, corpus, family, model=None, data=None, checks=None,
                 reason=None, kind="compare", prepare=None, notes=None):
        self.id = cid
        self.format = fmt            # rds | pmml | onnx
        self.corpus = corpus         # jpmml-r, jpmml-evaluator, pmml-oracles, skl2onnx, ...
        self.family = family
        self.model = model
        self.data = data
        self.checks = checks         # callable -> [Check]; None for kind 'robust'
        self.reason = reason         # set: not runnable, with this reason
        self.kind = kind             # compare | robust (any clean outcome is fine)
        self.prepare = prepare       # callable(tmpdir) -> (model, data) for generated inputs
        self.notes = list(notes or [])
        self.info_checks = None      # callable -> ([Check], skipped): compared for the record only
        self.score_args = []         # extra `score` options the reference needs (e.g. --link)


# ------------------------------------------------------------------ tolerance texts
def parse_tolerance(text, source):
    """Tolerance from an INVENTORY tolerance text such as 'PMMLEquivalence(5e-11, 5e-11)'."""
    text = (text or "").strip()
    m = re.match(r"FloatEquivalence\(([\d\s+]+)\)", text)
    if m:
        ulps = sum(int(x) for x in m.group(1).split("+"))
        return Tolerance(ulps=ulps, source="%s: FloatEquivalence(%d ulp)" % (source, ulps))
    m = re.match(r"PMMLEquivalence\(([^,]+),\s*(.+?)\)?\s*(\[default\])?$", text)
    if m:
        def num(s):
            s = s.strip().rstrip(")")
            e = re.match(r"Math\.exp\((-?[\d.]+)\)", s)
            return math.exp(float(e.group(1))) if e else float(s)
        try:
            p, z = num(m.group(1)), num(m.group(2))
        except ValueError:
            return Tolerance(source="default (unparsed '%s')" % text)
        tol = pmml_equivalence(p, z, "%s: PMMLEquivalence(%g, %g)" % (source, p, z))
        if tol.is_default():
            tol.source = "default"
        return tol
    return Tolerance()


def parse_exclude(text):
    text = (text or "").strip()
    if text.startswith("exclude "):
        text = text[len("exclude "):]
    return {t.strip().strip('"') for t in text.split(",") if t.strip()}


def dataset_input(csv_dir, case_name, own=None):
    """csv/<Dataset>.csv where <Dataset> is the longest proper suffix of the case name."""
    for i in range(1, len(case_name)):
        cand = os.path.join(csv_dir, case_name[i:] + ".csv")
        if os.path.exists(cand) and cand != own:
            return cand
    return None


def is_number(cell):
    try:
        float(cell)
        return True
    except (TypeError, ValueError):
        return cell is None or cell.strip() in ("", "NA", "N/A", "NaN")


# ------------------------------------------------------------------ jpmml-r (rds)
R_EXTRAS = {"nodeId", "pathLength", "anomalyScore", "rawPathLength", "normalizedPathLength",
            "decisionFunction", "linpred"}


def r_checks(expected, tol, exclude, target_is_link=False):
    """target_is_link: the plain reference column is the linear predictor (R's predict() on a
    glmnet object answers on the link scale by default: jpmml-r's fishnet references are log
    means), compared with the `link` column of `score --link`."""
    def build():
        header, cols, _ = read_columns(expected)
        checks, skipped = [], []
        plain = []
        has_prob = any(h.startswith("probability(") for h in header)
        for h in header:
            if h in exclude:
                continue
            if h.startswith("probability("):
                checks.append(Check(h, h, cols[h], "number", tol))
            elif h == "cluster":
                checks.append(Check("cluster", h, cols[h], "label"))
            elif h in R_EXTRAS or re.match(r"^\w+\(.*\)$", h):
                skipped.append(h)
            else:
                plain.append(h)
        if plain:
            t = plain[0]
            labels = has_prob or not all(is_number(c) for c in cols[t])
            if target_is_link:
                checks.insert(0, Check("link", t, cols[t], "number", tol))
            else:
                checks.insert(0, Check("class" if labels else "class|prediction", t, cols[t],
                                       "label" if labels else "auto", tol))
            skipped.extend(plain[1:])
        return checks, skipped
    return build


def discover_jpmml_r(root, inventory):
    cases, fixtures = [], []
    base = os.path.join(root, "pmml")
    rows_by_case = {}
    for row in inventory.get("jpmml_r", []):
        rows_by_case.setdefault(row["case"], []).append(row)
    seen = set()
    for rds in sorted(glob.glob(os.path.join(base, "jpmml-r", "*", "src", "test", "resources",
                                             "rds", "*.rds"))):
        name = os.path.splitext(os.path.basename(rds))[0]
        csv_dir = os.path.join(os.path.dirname(os.path.dirname(rds)), "csv")
        expected = os.path.join(csv_dir, name + ".csv")
        rows = rows_by_case.get(name, [])
        row = rows[0] if rows else {}
        if not os.path.exists(expected):
            fixtures.append(name)
            continue
        seen.add(name)
        data = os.path.join(base, row["input"]) if row.get("input") else None
        if not data or not os.path.exists(data):
            data = dataset_input(csv_dir, name, own=expected)
        rclass = row.get("r_class", "?")
        family = re.split(r"[|\s(]", rclass)[0] if rclass else "?"
        notes = []
        if len(rows) > 1:
            notes.append("inventory lists this rds %d times (converted with %s); run once" %
                         (len(rows), " and ".join(r["converter"] for r in rows)))
        tol = parse_tolerance(row.get("tolerance"), "jpmml-r " + name)
        # glmnet's predict() answers on the link scale; for fishnet (Poisson) that is log(mean).
        link = family == "fishnet"
        case = Case("jpmml-r/" + name, "rds", "jpmml-r", family, rds, data,
                    r_checks(expected, tol, parse_exclude(row.get("exclude")), target_is_link=link),
                    notes=notes)
        if link:
            case.score_args = ["--link"]
            case.notes.append("reference is R's predict() default for glmnet: the link (log mean)")
        if family == "naiveBayes":
            # jpmml-r's naiveBayes.R predicts with predict(threshold = 0) (R's default is 0.001)
            # and writes the NaN that R's raw output gives a class of probability 0 as 0.
            case.score_args = ["--nb-threshold", "0"]
            case.notes.append("reference is predict(threshold = 0), not R's default 0.001")
        if data is None:
            case.reason = "no input CSV found for the case"
        cases.append(case)
    for name, rows in sorted(rows_by_case.items()):
        if name in seen:
            continue
        row = rows[0]
        rclass = row.get("r_class", "?")
        cases.append(Case("jpmml-r/" + name, "rds", "jpmml-r", re.split(r"[|\s(]", rclass)[0],
                          reason="rds file absent from the corpus snapshot"))
    return cases, fixtures


# ------------------------------------------------------------------ PMML documents
PMML_MODELS = {"AssociationModel", "BayesianNetworkModel", "BaselineModel", "ClusteringModel",
               "GaussianProcessModel", "GeneralRegressionModel", "MiningModel",
               "NaiveBayesModel", "NearestNeighborModel", "NeuralNetwork", "RegressionModel",
               "RuleSetModel", "SequenceModel", "Scorecard", "SupportVectorMachineModel",
               "TextModel", "TimeSeriesModel", "TreeModel", "AnomalyDetectionModel"}


def local(tag):
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


class PmmlInfo:
    """What the reference mapping needs from a PMML document."""

    def __init__(self, path):
        root = ET.parse(path).getroot()
        tops = [c for c in root if local(c.tag) in PMML_MODELS]
        self.top = tops[0] if tops else None
        self.element = local(self.top.tag) if self.top is not None else None
        self.function = self.top.get("functionName") if self.top is not None else None
        self.targets, self.outputs, self.display = [], [], {}
        self.data_fields = [f.get("name") for f in root.iter() if local(f.tag) == "DataField"]
        self.clusters = []
        if self.top is None:
            return
        for c in self.top:
            if local(c.tag) == "MiningSchema":
                self.targets = [m.get("name") for m in c
                                if m.get("usageType") in ("predicted", "target")]
            elif local(c.tag) == "Output":
                self.outputs = [(o.get("name"), o.get("feature", "predictedValue"),
                                 o.get("value")) for o in c if local(o.tag) == "OutputField"]
            elif local(c.tag) == "Targets":
                for t in c.iter():
                    if local(t.tag) == "TargetValue" and t.get("displayValue") is not None:
                        self.display[t.get("displayValue")] = t.get("value")
        for cm in root.iter():
            if local(cm.tag) == "ClusteringModel":
                k = 0
                for cl in cm:
                    if local(cl.tag) == "Cluster":
                        k += 1
                        ids = {str(k)}
                        for a in ("id", "name"):
                            if cl.get(a):
                                ids.add(cl.get(a))
                        self.clusters.append(ids)
                break


def producer_checks(pmml, expected, tol, exclude, observed_target):
    """Map a producer's expected CSV onto our columns via the PMML's target and OutputFields."""
    def build():
        info = PmmlInfo(pmml)
        header, cols, _ = read_columns(expected)
        present = [h for h in header if h not in exclude]
        checks, used = [], set()
        fn = info.function

        def main_check(ours_col, ref, cells, display):
            if display and info.display:
                cells = [info.display.get(c, c) if c is not None else None for c in cells]
            if fn == "classification":
                return Check("class", ref, cells, "label", tol)
            if fn == "regression":
                return Check("prediction", ref, cells, "number", tol)
            if fn == "clustering":
                return Check("cluster", ref, cells, "cluster", tol, identities=info.clusters)
            return None

        for name, feature, value in info.outputs:
            if name in present and feature in ("predictedValue", "predictedDisplayValue"):
                chk = main_check(None, name, cols[name], feature == "predictedDisplayValue")
                if chk:
                    checks.append(chk)
                    used.add(name)
                break
        if not checks:
            for t in info.targets:
                if t in present and not observed_target:
                    chk = main_check(None, t, cols[t], False)
                    if chk:
                        checks.append(chk)
                        used.add(t)
                    break
        for name, feature, value in info.outputs:
            if name in present and feature == "probability" and value is not None:
                checks.append(Check("probability(%s)" % value, name, cols[name], "number", tol))
                used.add(name)
        skipped = [h for h in present if h not in used]
        return checks, skipped
    return build


def discover_pmml_paired(root, inventory):
    base = os.path.join(root, "pmml")
    by_pmml = {row["pmml"]: row for row in inventory.get("jpmml_evaluator", [])}
    cases = []
    paired = set()
    patterns = [("jpmml-evaluator-1.4.X", "*/src/test/resources/pmml/*.pmml"),
                ("jpmml-evaluator", "*/src/test/resources/pmml/*.pmml"),
                ("pmml4s", "**/*.xml"), ("pmml4s", "**/*.pmml")]
    for corpus, pat in patterns:
        for pmml in sorted(glob.glob(os.path.join(base, corpus, pat), recursive=True)):
            name = os.path.splitext(os.path.basename(pmml))[0]
            csv_dir = os.path.join(os.path.dirname(os.path.dirname(pmml)), "csv")
            expected = os.path.join(csv_dir, name + ".csv")
            if not os.path.exists(expected):
                continue
            rel = os.path.relpath(pmml, base)
            paired.add(rel)
            row = by_pmml.get(rel, {})
            module = rel.split(os.sep)[1] if corpus.startswith("jpmml") else corpus
            producer = module.replace("pmml-", "")
            data = os.path.join(base, row["input"]) if row.get("input") else None
            if not data or not os.path.exists(data):
                data = dataset_input(csv_dir, name, own=expected)
            try:
                info = PmmlInfo(pmml)
                element = info.element or "?"
            except ET.ParseError as exc:
                cases.append(Case("%s/%s" % (producer, name), "pmml", corpus, "?/" + producer,
                                  reason="PMML not parseable by xml.etree: %s" % exc))
                continue
            tol = parse_tolerance(row.get("tolerance"), "%s %s" % (producer, name))
            observed = producer == "sas"   # SAS CSVs carry the observed target, not a prediction
            notes = ["SAS expected CSV holds the observed target; compared U_* display value"] \
                if observed else []
            cases.append(Case("%s/%s" % (producer, name), "pmml", corpus,
                              "%s/%s" % (element, producer), pmml, data,
                              producer_checks(pmml, expected, tol, parse_exclude(row.get("exclude")),
                                              observed), notes=notes))
    return cases, paired


def discover_pmml_unpaired(root, paired):
    base = os.path.join(root, "pmml")
    cases = []
    files = []
    for corpus, pat in [("jpmml-evaluator", "**/*.pmml"), ("pmml4s", "**/*.xml"),
                        ("pmml4s", "**/*.pmml"), ("jpmml-evaluator-1.4.X", "**/*.pmml")]:
        files += sorted(glob.glob(os.path.join(base, corpus, pat), recursive=True))
    for pmml in files:
        rel = os.path.relpath(pmml, base)
        if rel in paired:
            continue
        try:
            element = PmmlInfo(pmml).element or "no-model"
        except ET.ParseError:
            element = "unparseable"
        corpus = rel.split(os.sep)[0]
        cases.append(Case("unpaired/" + rel, "pmml", corpus, element + "/unpaired",
                          reason="no reference CSV stored (expected values live in test code)"))
    return cases


# ------------------------------------------------------------------ tree missing-value oracles
def _oracle_prepare(pmml_path, fields, row, strategy=None, penalty=None):
    def prepare(tmp):
        model = pmml_path
        if strategy is not None:
            with open(pmml_path, encoding="utf-8") as fh:
                text = fh.read()
            text, n = re.subn(r'missingValueStrategy="[^"]*"',
                              'missingValueStrategy="%s"' % strategy, text, count=1)
            extra = ' missingValuePenalty="%r"' % penalty if penalty is not None else ""
            text = re.sub(r"<TreeModel\b", "<TreeModel" + extra, text, count=1)
            model = os.path.join(tmp, "model.pmml")
            with open(model, "w", encoding="utf-8") as fh:
                fh.write(text)
        data = os.path.join(tmp, "input.csv")
        with open(data, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(fields)
            cells = []
            for f in fields:
                v = row.get(f)
                cells.append("NA" if v is None else (repr(v) if isinstance(v, float) else str(v)))
            w.writerow(cells)
        return model, data
    return prepare


def discover_oracles(root):
    base = os.path.join(root, "pmml")
    path = os.path.join(base, "oracles", "tree_missing_value_oracles.json")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    cases = []
    for i, c in enumerate(doc.get("pmml4s", {}).get("cases", [])):
        pmml = os.path.join(base, c["pmml"])
        info = PmmlInfo(pmml)
        fields = [f for f in info.data_fields if f not in info.targets]
        exp = c["expected"]
        pred = exp.get("predicted_whatIdo")

        def build(pred=pred, exp=exp):
            skipped = ["confidence (outside the score output)"] if "confidence" in exp else []
            return [Check("class", "predicted_whatIdo", [pred], "label")], skipped
        cases.append(Case("pmml-oracles/pmml4s-%d-%s" % (i + 1, c.get("strategy", "none")),
                          "pmml", "pmml-oracles", "TreeModel/missing-values", checks=build,
                          prepare=_oracle_prepare(pmml, fields, c["input"])))
    jp = doc.get("jpmml_evaluator", {})
    if jp:
        pmml = os.path.join(base, jp["pmml"])
        info = PmmlInfo(pmml)
        fields = [f for f in info.data_fields if f not in info.targets]
        classes = []
        for dfield in ET.parse(pmml).getroot().iter():
            if local(dfield.tag) == "DataField" and dfield.get("name") in info.targets:
                classes = [v.get("value") for v in dfield if local(v.tag) == "Value"]
        scores = {n.get("id"): n.get("score") for n in ET.parse(pmml).getroot().iter()
                  if local(n.tag) == "Node"}
        for i, c in enumerate(jp.get("cases", [])):
            exp = c["expected"]

            def build(exp=exp):
                if exp is None:
                    return ([Check("class", "null result", [None], "label")] +
                            [Check("probability(%s)" % k, "null result", [None], "number")
                             for k in classes]), []
                checks = [Check("class", "score of node %s" % exp["node"],
                                [scores.get(exp["node"])], "label")]
                for k, v in exp.get("probability", {}).items():
                    checks.append(Check("probability(%s)" % k, "probability", [repr(float(v))],
                                        "number"))
                skipped = [k for k in exp if k not in ("node", "probability")]
                return checks, skipped
            cases.append(Case("pmml-oracles/jpmml-%d-%s" % (i + 1, c["strategy"]), "pmml",
                              "pmml-oracles", "TreeModel/missing-values", checks=build,
                              prepare=_oracle_prepare(pmml, fields, c["input"], c["strategy"],
                                                      c.get("missingValuePenalty"))))
    return cases
