#!/usr/bin/env python3
"""Batch scoring over several processes: `score --no-header` writes the rows alone, and the GNU
parallel recipe of README ("Scoring in parallel") -- the header from scoring the input's header
line, then `parallel --pipe --header 1 --keep-order` running `score -q --no-header` on blocks of
a large CSV -- gives output byte-identical to one process.  `score --json`: the summary (rows,
columns, seconds, warnings, the --expected report) on standard output with -o FILE, else alone on
standard error, and equal to what the files show."""
import json
import os
import subprocess

from clitest import Checker, args_parser, judges, run, work_dir

REG = "testdata/r/lm_factor"          # regression, factor inputs, a warning-free .rds
CLS = "testdata/r/multinom_k3"        # classification: class and probability columns


def big_csv(path, src, case, copies):
    """The case's input rows repeated `copies` times (about 40 bytes a row)."""
    with open(os.path.join(src, case, "input.csv")) as f:
        header, *rows = f.read().splitlines()
    with open(path, "w") as f:
        f.write(header + "\n")
        for _ in range(copies):
            f.write("\n".join(rows) + "\n")
    return len(rows) * copies


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.parallel")
    cli, src = os.path.abspath(args.cli), os.path.abspath(args.source)
    work = work_dir(args, "parallel")

    # --no-header: the same bytes without the first line.
    for case in (REG, CLS):
        model, data = f"{src}/{case}/model.rds", f"{src}/{case}/input.csv"
        full = run(cli, "score", "-q", model, data)
        bare = run(cli, "score", "-q", "--no-header", model, data)
        c.check(full.rc == 0 and bare.rc == 0, f"{case}: score exit {full.rc}/{bare.rc}: {bare.err[:300]}")
        head, _, rest = full.out.partition("\n")
        c.check(bare.out == rest and head.split(",")[0] in ("prediction", "class"),
                f"{case}: --no-header output is not the output less its header: {bare.out[:120]!r}")
        if case == REG:
            kept = run(cli, "score", "-q", "--no-header", "--keep", "Species", model, data)
            keep_full = run(cli, "score", "-q", "--keep", "Species", model, data)
            c.check(kept.rc == 0 and keep_full.out.startswith("Species,") and
                    kept.out == keep_full.out.partition("\n")[2], f"--no-header --keep: {kept.rc} {kept.out[:80]!r}")
        # A header-only input gives the header alone: the first part of the recipe.
        with open(data) as f:
            first = f.readline()
        p = subprocess.run([cli, "score", "-q", model, "-"], input=first, capture_output=True, text=True)
        c.check(p.returncode == 0 and p.stdout == head + "\n", f"{case}: header-only input gives {p.stdout!r}")

    # The GNU parallel recipe, byte for byte against one process.
    if judges.have_tool("parallel", "parallel", "the GNU parallel recipe was not tried"):
        for case, copies in ((REG, 3000), (CLS, 1500)):
            model = f"{src}/{case}/model.rds"
            data = os.path.join(work, os.path.basename(case) + "_big.csv")
            rows = big_csv(data, src, case, copies)
            one = os.path.join(work, "one.csv")
            r = run(cli, "score", "-q", model, data, "-o", one)
            c.check(r.rc == 0, f"{case}: one process: exit {r.rc}: {r.err[:300]}")
            merged, joblog = os.path.join(work, "merged.csv"), os.path.join(work, "jobs.log")
            recipe = (f'{{ head -n 1 "$DATA" | "$MB" score -q "$MODEL" -; '
                      f'parallel --pipe --header 1 --keep-order -j 2 --block 200k --joblog "$LOG" '
                      f'"$MB" score -q --no-header "$MODEL" - < "$DATA"; }} > "$OUT"')
            p = subprocess.run(["bash", "-c", "set -o pipefail; " + recipe], capture_output=True, text=True,
                               env={**os.environ, "MB": cli, "MODEL": model, "DATA": data, "OUT": merged, "LOG": joblog})
            jobs = max(0, len(open(joblog).read().splitlines()) - 1) if os.path.exists(joblog) else 0
            c.check(p.returncode == 0 and jobs >= 4, f"{case}: recipe exit {p.returncode}, {jobs} jobs: {p.stderr[:300]}")
            a, b = open(one, "rb").read(), open(merged, "rb").read()
            c.check(a == b and a.count(b"\n") == rows + 1,
                    f"{case}: parallel output differs from one process ({len(b)} vs {len(a)} bytes, {rows} rows)")

    # --json: the summary where the report goes.
    model, data, expected = f"{src}/{CLS}/model.rds", f"{src}/{CLS}/input.csv", f"{src}/{CLS}/expected.csv"
    out = os.path.join(work, "p.csv")
    r = run(cli, "score", "--json", model, data, "-o", out, "--expected", expected)
    doc = None
    try:
        doc = json.loads(r.out)
    except ValueError:
        pass
    c.check(r.rc == 0 and doc is not None and r.err == "", f"score --json -o: exit {r.rc}, stdout {r.out[:200]!r}, stderr {r.err[:200]!r}")
    if doc:
        lines = open(out).read().splitlines()
        n_in = len(open(data).read().splitlines()) - 1
        c.check(doc.get("schema") == "modelbridge/1" and doc.get("rows") == n_in == len(lines) - 1,
                f"--json rows {doc.get('rows')} vs {n_in} input rows, {len(lines) - 1} written")
        c.check(doc.get("columns") == lines[0].split(","), f"--json columns {doc.get('columns')} vs header {lines[0]}")
        c.check(isinstance(doc.get("seconds"), (int, float)) and 0 <= doc["seconds"] < 600, f"--json seconds {doc.get('seconds')}")
        c.check(isinstance(doc.get("warnings"), list) and doc.get("agree") is True and "expected" in doc,
                f"--json warnings/expected/agree: {sorted(doc)}")
        c.check(doc.get("output") == out and doc.get("model") == model and doc.get("header") is True,
                f"--json names: {doc.get('model')} {doc.get('output')} {doc.get('header')}")
    # Predictions on standard output: standard error is the JSON document alone, warnings in it.
    warned = "testdata/r/glmnet_elnet"
    plain = run(cli, "score", f"{src}/{warned}/model.rds", f"{src}/{warned}/input.csv")
    r = run(cli, "score", "--json", "--no-header", f"{src}/{warned}/model.rds", f"{src}/{warned}/input.csv")
    try:
        doc = json.loads(r.err)
    except ValueError:
        doc = None
    c.check(r.rc == 0 and doc is not None, f"score --json to stdout: exit {r.rc}, stderr {r.err[:300]!r}")
    if doc:
        codes = sorted(w["code"] for w in doc["warnings"])
        printed = sorted(l.split("[")[1].split("]")[0] for l in plain.err.splitlines() if "warning: " in l and "[" in l)
        c.check(codes == printed and codes, f"--json warnings {codes} vs printed {printed}")
        c.check(r.out == plain.out.partition("\n")[2] and doc["header"] is False and doc["output"] == "-",
                f"--json --no-header predictions or fields wrong: {doc}")
        c.check(doc["rows"] == len(plain.out.splitlines()) - 1, f"--json rows {doc['rows']}")
    c.finish()


if __name__ == "__main__":
    main()
