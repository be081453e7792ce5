#!/usr/bin/env python3
"""Writes the hostile jsonlite files of testdata/malformed/rjson that are made from a valid model
(run from the repository root): testdata/r/lm_factor/model.json with its formula replaced by a
flat chain of 100,000 `+` terms (a left-nested tree 100,000 calls deep once parsed); only the
formula of the terms (the one the importer reads) is replaced, to keep the file small.
Files named fuzz_* are findings of the libFuzzer targets (tests/fuzz, docs/fuzzing.md), kept as
found: fuzz_glmnet_column_pointers.json is a multnet whose sparse coefficient matrix has a column
pointer that rises past the stored values before a later one decreases (read past the end)."""
import json
import sys
from pathlib import Path

OUT = Path("testdata/malformed/rjson")
TERMS = int(sys.argv[1]) if len(sys.argv) > 1 else 100000


def main():
    model = json.loads(Path("testdata/r/lm_factor/model.json").read_text())
    formula = "Sepal.Length ~ " + "+".join(["x"] * TERMS)
    done = []

    def swap(x):
        if isinstance(x, dict):
            if not done and x.get("type") == "language" and x.get("attributes") and \
                    any("~" in v for v in x.get("value", [])):
                x["value"] = [formula]
                done.append(1)
            for v in x.values():
                swap(v)
        elif isinstance(x, list):
            for v in x:
                swap(v)

    swap(model)
    (OUT / "long_formula.json").write_text(json.dumps(model, separators=(",", ":")))


if __name__ == "__main__":
    main()
