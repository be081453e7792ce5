"""Discovery of ONNX conformance cases: converter outputs scored against onnxruntime's own
output (ort.csv), refusal fixtures, one-operator probes and the upstream ai.onnx.ml node tests.

Our scoring must equal onnxruntime: float32 outputs within 1 float32 ulp (or the SPEC rule),
double outputs by the SPEC rule.
"""

import csv
import glob
import json
import os
import re

from conf_cases import Case
from conf_compare import Check, Tolerance, read_columns
import conf_onnxpb

F32 = Tolerance(ulps=1, source="ONNX float32 output: 1 ulp of onnxruntime")
F64 = Tolerance()

PROBE_OPS = [("linclf", "LinearClassifier"), ("linreg", "LinearRegressor"),
             ("ter3", "TreeEnsembleRegressor"), ("ter", "TreeEnsembleRegressor"),
             ("tec", "TreeEnsembleClassifier"), ("te5", "TreeEnsemble"),
             ("svr", "SVMRegressor"), ("svc", "SVMClassifier")]


def estimator_name(sklearn_model):
    """Final estimator class of an sklearn repr: 'Pipeline(...LogisticRegression(...))' ->
    'LogisticRegression'."""
    text = sklearn_model or "?"
    steps = re.findall(r"\(\s*'[^']*'\s*,\s*([A-Za-z_]\w*)\(", text)
    if text.startswith("Pipeline") and steps:
        return steps[-1]
    m = re.match(r"([A-Za-z_]\w*)", text)
    return m.group(1) if m else "?"


def ml_op(model_path):
    try:
        with open(model_path, "rb") as fh:
            ops = conf_onnxpb.graph_ops(fh.read())
    except (OSError, ValueError):
        return "?"
    ml = [op for dom, op in ops if dom == "ai.onnx.ml" and op not in ("ZipMap", "Cast")]
    return ml[0] if ml else (ops[0][1] if ops else "?")


def model_outputs(model):
    try:
        with open(model, "rb") as fh:
            return conf_onnxpb.graph_outputs(fh.read())
    except (OSError, ValueError):
        return []


def ort_checks(ort_csv, meta, family, model):
    """Map onnxruntime's columns (score.js naming) to ours; output types from the model."""
    def build():
        header, cols, _ = read_columns(ort_csv)
        outputs = model_outputs(model) or meta.get("onnx_outputs", [])
        is_float = {name: ("tensor(float)" in typ) for name, typ in outputs}
        names = [n for n, _ in outputs]
        checks, skipped = [], []
        decision_scores = "no probability" in (meta.get("note") or "") or \
            "ZipMap values are ovr decision_function" in (meta.get("note") or "")
        for h in header:
            if h.startswith("probability("):
                zip_out = names[-1] if names else ""
                checks.append(Check(h, h, cols[h], "number",
                                    F32 if is_float.get(zip_out, True) else F64,
                                    optional=decision_scores))
                continue
            m = re.match(r"^(.*)_(\d+)$", h)
            if h in is_float:
                out = h
            elif m and m.group(1) in is_float:
                out = m.group(1)
            else:
                skipped.append(h)
                continue
            tol = F32 if is_float[out] else F64
            typ = dict(outputs)[out]
            if out == h and ("int64" in typ or "string" in typ):
                if family == "KMeans":
                    checks.append(Check("cluster", h, cols[h], "label"))
                else:
                    checks.append(Check("class", h, cols[h], "label"))
            elif out == h:
                checks.append(Check("prediction", h, cols[h], "number", tol))
            elif family == "KMeans":
                skipped.append(h + " (cluster distances, outside the score output)")
            else:
                checks.append(Check("#prob%s" % m.group(2), h, cols[h], "number", tol,
                                    optional=decision_scores))
        return checks, skipped
    return build


def discover_converted(root):
    cases = []
    base = os.path.join(root, "onnx")
    for corpus in ("skl2onnx", "handbuilt", "negative"):
        for d in sorted(glob.glob(os.path.join(base, corpus, "*"))):
            model = os.path.join(d, "model.onnx")
            if not os.path.isfile(model):
                continue
            meta = {}
            if os.path.exists(os.path.join(d, "meta.json")):
                with open(os.path.join(d, "meta.json"), encoding="utf-8") as fh:
                    meta = json.load(fh)
            family = estimator_name(meta.get("sklearn_model"))
            name = os.path.basename(d)
            data = os.path.join(d, "input.csv")
            ort = os.path.join(d, "ort.csv")
            cid = "%s/%s" % (corpus, name)
            if corpus == "negative":
                case = Case(cid, "onnx", corpus, family, model, data, kind="robust",
                            notes=["onnxruntime refuses this model: %s" %
                                   (meta.get("ort_error") or meta.get("error") or
                                    "see meta.json")])
                expected = os.path.join(d, "expected.csv")
                if os.path.exists(expected):
                    case.info_checks = ort_checks(expected, meta, family, model)
                cases.append(case)
            elif not os.path.exists(ort):
                cases.append(Case(cid, "onnx", corpus, family, reason="no ort.csv"))
            else:
                notes = [meta["note"]] if meta.get("note") else []
                cases.append(Case(cid, "onnx", corpus, family, model, data,
                                  ort_checks(ort, meta, family, model), notes=notes))
    return cases


# ------------------------------------------------------------------ probes
def _fmt(v):
    if v is None:
        return "NA"          # never an empty cell: a one-column row would become a blank line
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _feed_prepare(feeds):
    """Write one CSV for a single 1-D or [N,k] input: column = input name, or name_j."""
    (name, feed), = feeds.items()
    dims, data = feed["dims"], feed["data"]
    k = dims[1] if len(dims) == 2 else 1
    cols = [name] if k == 1 else ["%s_%d" % (name, j) for j in range(k)]

    def prepare(tmp, model_path):
        path = os.path.join(tmp, "input.csv")
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            for r in range(dims[0]):
                w.writerow([_fmt(data[r * k + j]) for j in range(k)])
        return model_path, path
    return prepare


def _feed_problem(feeds):
    if len(feeds) != 1:
        return "%d graph inputs (CSV scoring feeds one table)" % len(feeds)
    (feed,) = feeds.values()
    dims = feed["dims"]
    if len(dims) not in (1, 2):
        return "input of rank %d" % len(dims)
    return None


def _tensor_cells(t, j, k):
    n = t["dims"][0]
    out = []
    for r in range(n):
        v = t["data"][r * k + j]
        if v is None or v == "NaN":
            out.append(None)
        elif isinstance(v, float):
            out.append(repr(v))
        else:
            out.append(str(v))
    return out


def result_checks(outputs, decision_scores=False):
    """Checks from probe outputs {name: {type, dims, data}}; (checks, reason-if-not-runnable).
    decision_scores: the score tensor holds SVM decision values, compared only if we print them."""
    items = list(outputs.items())
    label = [(n, t) for n, t in items if t["type"] in ("int64", "string") and len(t["dims"]) == 1]
    scores = [(n, t) for n, t in items if t["type"].startswith("float") and len(t["dims"]) == 2]
    if len(items) == 2 and label and scores:
        (ln, lt), (sn, st) = label[0], scores[0]
        tol = F32 if st["type"] == "float32" else F64
        k = st["dims"][1]
        checks = [Check("class", ln, _tensor_cells(lt, 0, 1), "label")]
        checks += [Check("#prob%d" % j, "%s_%d" % (sn, j), _tensor_cells(st, j, k), "number", tol,
                         optional=decision_scores) for j in range(k)]
        return checks, None
    if len(items) == 1:
        (n, t), = items
        dims = t["dims"]
        if len(dims) == 1 or (len(dims) == 2 and dims[1] == 1):
            if t["type"] == "string":
                return [Check("class", n, _tensor_cells(t, 0, 1), "label")], None
            tol = F32 if t["type"] == "float32" else F64
            return [Check("prediction", n, _tensor_cells(t, 0, 1), "number", tol)], None
        return None, "output %s has shape %s (outside the score output contract)" % (n, dims)
    return None, "outputs %s do not map to class/probability or prediction" % \
        ", ".join("%s%s" % (n, t["dims"]) for n, t in items)


def discover_probes(root):
    cases = []
    d = os.path.join(root, "onnx", "probes")
    pj, rj = os.path.join(d, "probes.json"), os.path.join(d, "results.json")
    if not (os.path.exists(pj) and os.path.exists(rj)):
        return cases
    with open(pj, encoding="utf-8") as fh:
        probes = json.load(fh)
    with open(rj, encoding="utf-8") as fh:
        results = json.load(fh)
    for p in probes:
        name = p["name"]
        model = os.path.join(d, p["model"])
        family = ml_op(model)
        cid = "probes/" + name
        res = results.get(name)
        problem = _feed_problem(p["feeds"])
        if problem:
            cases.append(Case(cid, "onnx", "probes", family, reason=problem))
            continue
        prep = _feed_prepare(p["feeds"])
        if res is None:
            cases.append(Case(cid, "onnx", "probes", family, reason="no recorded result"))
        elif "error" in res:
            cases.append(Case(cid, "onnx", "probes", family, model, kind="robust",
                              prepare=lambda tmp, m=model, f=prep: f(tmp, m),
                              notes=["onnxruntime: " + res["error"]]))
        else:
            checks, reason = result_checks(res, decision_scores="noproba" in name)
            if reason:
                cases.append(Case(cid, "onnx", "probes", family, reason=reason))
            else:
                cases.append(Case(cid, "onnx", "probes", family, model,
                                  checks=lambda c=checks: (c, []),
                                  prepare=lambda tmp, m=model, f=prep: f(tmp, m),
                                  notes=[p.get("note", "")] if p.get("note") else []))
    return cases


def discover_node_tests(root):
    cases = []
    d = os.path.join(root, "onnx", "onnx-ml-node-tests")
    pj = os.path.join(d, "probes.json")
    feeds_by_name = {}
    if os.path.exists(pj):
        with open(pj, encoding="utf-8") as fh:
            feeds_by_name = {p["name"]: p["feeds"] for p in json.load(fh)}
    for t in sorted(glob.glob(os.path.join(d, "test_*"))):
        name = os.path.basename(t)
        model = os.path.join(t, "model.onnx")
        family = ml_op(model)
        cid = "onnx-node/" + name
        feeds = feeds_by_name.get(name)
        if feeds is None:
            cases.append(Case(cid, "onnx", "onnx-ml-node-tests", family,
                              reason="inputs not listed in probes.json"))
            continue
        problem = _feed_problem(feeds)
        if problem:
            cases.append(Case(cid, "onnx", "onnx-ml-node-tests", family, reason=problem))
            continue
        outputs = {}
        try:
            for pb in sorted(glob.glob(os.path.join(t, "test_data_set_0", "output_*.pb"))):
                with open(pb, "rb") as fh:
                    tensor = conf_onnxpb.read_tensor(fh.read())
                outputs[tensor["name"] or os.path.basename(pb)] = tensor
        except (OSError, ValueError) as exc:
            cases.append(Case(cid, "onnx", "onnx-ml-node-tests", family,
                              reason="cannot read expected output: %s" % exc))
            continue
        checks, reason = result_checks(outputs)
        if reason:
            cases.append(Case(cid, "onnx", "onnx-ml-node-tests", family, reason=reason))
            continue
        prep = _feed_prepare(feeds)
        cases.append(Case(cid, "onnx", "onnx-ml-node-tests", family, model,
                          checks=lambda c=checks: (c, []),
                          prepare=lambda tmp, m=model, f=prep: f(tmp, m),
                          notes=["reference: upstream onnx test data (output_0.pb)"]))
    return cases
