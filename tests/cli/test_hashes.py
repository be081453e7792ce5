#!/usr/bin/env python3
"""The pinned hash table testdata/hashes/hashes.tsv (case, file, hash): every listed file still
hashes to its pinned value, so a change of the canonical form (lib/canon) is always deliberate.

Regenerate deliberately, after changing the canonical form and its version string:
    python3 tests/cli/test_hashes.py --cli build/modelbridge --source . --update
Files the binary cannot read yet are left out of the table (and listed by --update).
"""
import os

from clitest import Checker, args_parser, run, testdata_cases

FILES = ("model.rds", "model_exact.json", "model.json")
# Families whose importers are complete; a deliberate importer change that alters a model's IR
# also needs --update (and says why in its commit).
FAMILIES = {"lm", "glm", "rpart", "randomForest.formula", "ranger", "gbm"}


def table_path(source):
    return os.path.join(source, "testdata", "hashes", "hashes.tsv")


def main():
    p = args_parser(__doc__)
    p.add_argument("--update", action="store_true", help="rewrite the table from the current binary")
    args = p.parse_args()
    path = table_path(args.source)
    if args.update:
        rows = []
        for case, d, meta in testdata_cases(args.source):
            if meta["class"][0] not in FAMILIES:
                continue
            for f in FILES:
                r = run(args.cli, "hash", os.path.join(d, f))
                if r.rc == 0:
                    rows.append((f"r/{case}", f, r.out.strip()))
                else:
                    print(f"left out: r/{case}/{f}: {r.err.strip()}")
            for f in ("schema",):
                r = run(args.cli, "hash", "--schema", os.path.join(d, "model.rds"))
                if r.rc == 0:
                    rows.append((f"r/{case}", "model.rds --schema", r.out.strip()))
        with open(path, "w") as out:
            out.write("# case\tfile\thash  (tests/cli/test_hashes.py --update regenerates; see lib/canon/canonical.hpp)\n")
            for row in rows:
                out.write("\t".join(row) + "\n")
        print(f"wrote {len(rows)} hashes to {path}")
        return
    c = Checker("cli.hashes")
    with open(path) as f:
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    c.check(len(rows) >= 100, f"the table holds only {len(rows)} hashes")
    for case, f, pinned in rows:
        model = os.path.join(args.source, "testdata", case, f.split(" ")[0])
        extra = ["--schema"] if f.endswith("--schema") else []
        r = run(args.cli, "hash", *extra, model, "--check", pinned)
        c.check(r.rc == 0, f"{case}/{f}: hash {r.out.strip() or r.err.strip()} differs from the pinned {pinned}")
    c.finish()


if __name__ == "__main__":
    main()
