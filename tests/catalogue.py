"""The catalogue of test cases: testdata/r/<case>/case.json, read by every Python test that
iterates over cases (crosscheck, cli.commands, cli.hash_invariance, cli.hints, ...), so a new case
or a new model family is one folder and one small JSON file, not an edit of several hand lists.

case.json:
  family       the R class the importer dispatches on ("lm", "glm", "rpart", "ranger", ...)
  kind         "linear" | "tree" | "other" (what the writers hold: linear models and tree
               ensembles are written to PMML and ONNX)
  hints        command-line options the case needs because the R object does not hold them
               (["--levels", "VAR=L1,L2,..."], ["--lambda", "lambda.min"]), as a user would give
  convert      per target ("pmml", "onnx", "ml5", "onnx_float"): "must" (converts and the outside
               judges agree with R) or "refused" (a clean exit 2 "unsupported" is expected; if it
               does convert, it is judged like "must"); "onnx_float" (ONNX with --precision
               float) is judged as "onnx" unless given
  known_losses optional {"<target>": "<warning code>"}: the format cannot hold a part of the
               model, so the conversion must exit 1 (nothing written) naming that warning
  tolerance    optional {"rtol": r, "atol": a, "reason": "..."} when looser than the SPEC default
  expected_failures  optional {"<test>": "reason"}: a known defect, reported as an expected
               failure by that test (which fails if the case starts passing: update the entry)
  json_refused optional reason: the object does not survive jsonlite's JSON (kernlab's ksvm: a
               function slot loses its class and parameters), so model.json and model_exact.json
               must be refused cleanly (exit 2, "unsupported") and so must a conversion to JSON
  float_refused optional reason: the ONNX writer refuses --precision float for this model (exit 2,
               "unsupported") although the double conversion must pass

Every case folder with a meta.json must have a case.json (load() raises otherwise).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
KINDS = ("linear", "tree", "other")
TARGETS = ("pmml", "onnx", "ml5", "onnx_float")


class Case:
    def __init__(self, name, folder, meta, spec):
        self.name = name
        self.dir = folder
        self.meta = meta
        self.family = spec["family"]
        self.kind = spec["kind"]
        self.hints = list(spec.get("hints", []))
        self.convert = dict(spec.get("convert", {}))
        self.tolerance = spec.get("tolerance")
        self.expected_failures = dict(spec.get("expected_failures", {}))
        self.known_losses = dict(spec.get("known_losses", {}))
        self.json_refused = spec.get("json_refused")
        self.float_refused = spec.get("float_refused")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def must_convert(self, target):
        return self.convert.get(target) == "must"

    def known_loss(self, target):
        """The warning code naming what `target` cannot hold of this model, or None."""
        return self.known_losses.get(target)

    def expected_failure(self, test):
        """The reason this case is a known failure of `test`, or None."""
        return self.expected_failures.get(test)

    def rtol_atol(self):
        t = self.tolerance or {}
        return t.get("rtol", 1e-9), t.get("atol", 1e-12)

    def __repr__(self):
        return f"Case({self.name})"


def _check(name, spec, meta):
    problems = []
    for key in ("family", "kind"):
        if key not in spec:
            problems.append(f"no '{key}'")
    if spec.get("kind") not in KINDS:
        problems.append(f"kind {spec.get('kind')!r} not one of {KINDS}")
    cls = meta["class"][0] if isinstance(meta.get("class"), list) else meta.get("class")
    if spec.get("family") != cls:
        problems.append(f"family {spec.get('family')!r} but meta.json says class {cls!r}")
    for t, v in spec.get("convert", {}).items():
        if t not in TARGETS or v not in ("must", "refused"):
            problems.append(f"convert {t}: {v!r}")
    for t, code in spec.get("known_losses", {}).items():
        if t not in TARGETS or not code:
            problems.append(f"known loss {t}: {code!r}")
    tol = spec.get("tolerance")
    if tol is not None and not tol.get("reason"):
        problems.append("a tolerance without a reason")
    for key in ("json_refused", "float_refused"):
        if key in spec and not spec[key]:
            problems.append(f"{key} without a reason")
    for test, why in spec.get("expected_failures", {}).items():
        if not why:
            problems.append(f"expected failure of {test} without a reason")
    if problems:
        raise ValueError(f"testdata/r/{name}/case.json: " + "; ".join(problems))


def load(source=SOURCE):
    """Every case of testdata/r, sorted by name; raises ValueError on a missing or bad case.json."""
    root = os.path.join(source, "testdata", "r")
    out = []
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        meta_path = os.path.join(d, "meta.json")
        if not os.path.isfile(meta_path):
            continue
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        spec_path = os.path.join(d, "case.json")
        if not os.path.isfile(spec_path):
            raise ValueError(f"testdata/r/{name}: no case.json (see tests/catalogue.py)")
        with open(spec_path, encoding="utf-8") as f:
            spec = json.load(f)
        _check(name, spec, meta)
        out.append(Case(name, d, meta, spec))
    if not out:
        raise ValueError(f"no cases found under {root}")
    return out


def select(cases, kind=None, family=None):
    return [c for c in cases if (kind is None or c.kind == kind) and (family is None or c.family == family)]


if __name__ == "__main__":
    cases = load()
    by = {}
    for c in cases:
        by.setdefault((c.kind, c.family), []).append(c.name)
    for (k, fam), names in sorted(by.items()):
        print(f"{k:7} {fam:22} {len(names):3}  {' '.join(names)}")
    print(f"{len(cases)} cases")
