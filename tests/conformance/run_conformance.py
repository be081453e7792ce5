#!/usr/bin/env python3
"""Conformance: score every case of the shared corpus with `modelbridge score` and compare
with the reference predictions (R's predict(), the PMML producers' own scores, onnxruntime).

usage: run_conformance.py --cli PATH/modelbridge --shared PATH/shared [--json OUT.json]
                          [--floors FILE] [--update-floors] [--jobs N] [--timeout S]
                          [--filter REGEX] [--list] [-v]

Each case ends as one of
  pass         scored, every reference column agrees
  fail         scored, numbers or labels differ (or columns/rows are missing)
  unsupported  exit 2 with 'unsupported' in the message (counted as skipped)
  error        any other exit 1/2, or a refusal without the contract's message form
  crash        exit 3, a signal, or the time limit
  not-runnable the corpus entry cannot be expressed as CSV scoring (reason given); not run
Cases of kind 'robust' (models onnxruntime refuses) pass on a clean score or a clean refusal.

Exit status: 0 unless a crash occurred or a pass count fell below tests/conformance/floors.json
(total and per format).  --update-floors raises the floors to the current counts.
The last line reads `conformance: N passed, M failed, K skipped` (failed = fail+error+crash).
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # keep the source tree clean of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import conf_cases  # noqa: E402
import conf_compare  # noqa: E402
import conf_onnx  # noqa: E402

STATUSES = ["pass", "fail", "unsupported", "error", "crash", "not-runnable"]
ERROR_FORM = re.compile(r"^modelbridge: error: ")
HERE = os.path.dirname(os.path.abspath(__file__))


def discover(corpus):
    """All cases under <shared>/corpus, plus a discovery summary."""
    inv_path = os.path.join(corpus, "pmml", "inventory.json")
    inventory = {}
    if os.path.exists(inv_path):
        with open(inv_path, encoding="utf-8") as fh:
            inventory = json.load(fh)
    cases = []
    summary = {}
    r_cases, fixtures = conf_cases.discover_jpmml_r(corpus, inventory)
    paired, paired_set = conf_cases.discover_pmml_paired(corpus, inventory)
    unpaired = conf_cases.discover_pmml_unpaired(corpus, paired_set)
    oracles = conf_cases.discover_oracles(corpus)
    converted = conf_onnx.discover_converted(corpus)
    probes = conf_onnx.discover_probes(corpus)
    node = conf_onnx.discover_node_tests(corpus)
    for group in (r_cases, paired, oracles, converted, probes, node, unpaired):
        cases.extend(group)
    for c in cases:
        s = summary.setdefault(c.corpus, {"cases": 0, "runnable": 0})
        s["cases"] += 1
        s["runnable"] += 0 if c.reason else 1
    if fixtures:
        summary.setdefault("jpmml-r", {"cases": 0, "runnable": 0})["rds_fixtures_without_model"] = \
            sorted(fixtures)
    return cases, summary


def run_case(case, cli, timeout, workdir):
    """Run one case; returns a result dict."""
    res = {"id": case.id, "format": case.format, "corpus": case.corpus, "family": case.family,
           "kind": case.kind, "notes": list(case.notes)}
    if case.reason:
        res.update(status="not-runnable", reason=case.reason)
        return res
    checks, skipped = [], []
    if case.kind == "compare":
        try:
            checks, skipped = case.checks()
        except (OSError, ValueError, KeyError) as exc:
            res.update(status="not-runnable", reason="reference unreadable: %s" % exc)
            return res
        if not checks:
            res.update(status="not-runnable",
                       reason="no reference column maps to the score output (%s)" %
                       ", ".join(skipped))
            return res
    tmp = tempfile.mkdtemp(prefix="case-", dir=workdir)
    try:
        model, data = case.model, case.data
        if case.prepare:
            model, data = case.prepare(tmp)
        out = os.path.join(tmp, "out.csv")
        cmd = [cli, "score", model, data, "-o", out]
        res["command"] = " ".join(cmd)
        t0 = time.monotonic()
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            res.update(status="crash", reason="timeout after %gs" % timeout)
            return res
        except OSError as exc:
            res.update(status="error", reason="cannot run the CLI: %s" % exc)
            return res
        res["seconds"] = round(time.monotonic() - t0, 3)
        res["exit"] = proc.returncode
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        res["stderr"] = stderr[-2000:]
        rc = proc.returncode
        lines = stderr.splitlines()
        errors = [ln for ln in lines if ERROR_FORM.match(ln)]
        first = errors[0] if errors else (lines[-1] if lines else "")
        warnings = [ln for ln in lines if ln.startswith("modelbridge: warning: ")]
        if warnings:
            res["warnings"] = warnings[:20]
        if rc < 0:
            res.update(status="crash", reason="killed by signal %d" % -rc)
        elif rc == 3 or rc not in (0, 1, 2):
            res.update(status="crash", reason="exit %d: %s" % (rc, first))
        elif rc != 0:
            if case.kind == "robust" and rc == 2 and ERROR_FORM.match(first):
                res.update(status="pass", reason="refused cleanly: " + first)
            elif rc == 2 and "unsupported" in stderr.lower():
                res.update(status="unsupported", reason=first)
            else:
                res.update(status="error", reason="exit %d: %s" % (rc, first or "(no message)"))
            if not errors:
                res["notes"].append("stderr not in the form 'modelbridge: error: FILE:PLACE: "
                                    "message'")
        elif case.kind == "robust":
            if not os.path.exists(out):
                res.update(status="fail", reason="exit 0 but no output file written")
            else:
                n_out = len(conf_compare.read_csv(out)[1])
                n_in = len(conf_compare.read_csv(data)[1])
                if n_out == n_in:
                    res.update(status="pass", reason="scored (exit 0, %d rows)" % n_out)
                    if case.info_checks:
                        try:
                            ok, detail = conf_compare.compare(case.info_checks()[0], out)
                            res["info_vs_expected"] = {"agree": ok, "detail": detail}
                        except (OSError, ValueError, KeyError) as exc:
                            res["info_vs_expected"] = {"error": str(exc)}
                else:
                    res.update(status="fail", reason="scored %d rows of %d" % (n_out, n_in))
        elif not os.path.exists(out):
            res.update(status="fail", reason="exit 0 but no output file written")
        else:
            tols = sorted({c.tolerance.describe() for c in checks
                           if c.kind in ("number", "auto") and not c.tolerance.is_default()})
            if tols:
                res["tolerance"] = tols
            if skipped:
                res["not_compared"] = skipped
            try:
                ok, detail = conf_compare.compare(checks, out)
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                res.update(status="fail", reason="unreadable output: %s" % exc)
                return res
            res["comparison"] = detail
            res["notes"] += detail.get("notes", [])
            if ok:
                res.update(status="pass")
            else:
                res.update(status="fail", reason="; ".join(detail["problems"][:3]))
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def tally(results, key):
    table = {}
    for r in results:
        row = table.setdefault(key(r), {s: 0 for s in STATUSES})
        row[r["status"]] += 1
    return table


def print_table(results, out):
    width = max([len(r["format"] + "  " + r["family"]) for r in results] + [20])
    head = "%-*s %6s %6s %6s %6s %6s %6s" % (width, "format  family", "pass", "fail", "unsup",
                                              "error", "crash", "n/r")
    print(head, file=out)
    print("-" * len(head), file=out)
    by_fmt = tally(results, lambda r: r["format"])
    by_fam = tally(results, lambda r: (r["format"], r["family"]))
    for fmt in sorted(by_fmt):
        for (f, fam) in sorted(k for k in by_fam if k[0] == fmt):
            row = by_fam[(f, fam)]
            print("%-*s %6d %6d %6d %6d %6d %6d" % ((width, f + "  " + fam) +
                                                    tuple(row[s] for s in STATUSES)), file=out)
        row = by_fmt[fmt]
        print("%-*s %6d %6d %6d %6d %6d %6d" % ((width, fmt + "  (all)") +
                                                tuple(row[s] for s in STATUSES)), file=out)
        print("-" * len(head), file=out)
    tot = {s: sum(1 for r in results if r["status"] == s) for s in STATUSES}
    print("%-*s %6d %6d %6d %6d %6d %6d" % ((width, "total") + tuple(tot[s] for s in STATUSES)),
          file=out)
    return by_fmt, by_fam, tot


def load_floors(path):
    if not os.path.exists(path):
        return {"total": 0, "per_format": {}}
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def check_floors(floors, tot, by_fmt):
    problems = []
    if tot["pass"] < floors.get("total", 0):
        problems.append("total passes %d below floor %d" % (tot["pass"], floors["total"]))
    for fmt, floor in sorted(floors.get("per_format", {}).items()):
        have = by_fmt.get(fmt, {}).get("pass", 0)
        if have < floor:
            problems.append("%s passes %d below floor %d" % (fmt, have, floor))
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True, help="path of the modelbridge binary")
    ap.add_argument("--shared", required=True, help="the shared folder holding corpus/")
    ap.add_argument("--json", help="write the JSON summary here")
    ap.add_argument("--floors", default=os.path.join(HERE, "floors.json"))
    ap.add_argument("--update-floors", action="store_true",
                    help="raise the floors to the current pass counts")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--filter", help="only cases whose id matches this regular expression")
    ap.add_argument("--list", action="store_true", help="list the discovered cases and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per case")
    args = ap.parse_args(argv)

    corpus = os.path.join(args.shared, "corpus")
    if not os.path.isdir(corpus):
        print("conformance: skipped: no corpus folder at %s" % corpus)
        return 0
    cases, summary = discover(corpus)
    discovered = len(cases)
    if args.filter:
        rx = re.compile(args.filter)
        cases = [c for c in cases if rx.search(c.id)]
    if args.list:
        for c in cases:
            print("%-60s %-5s %-28s %s" % (c.id, c.format, c.family,
                                           ("not runnable: " + c.reason) if c.reason else c.kind))
        return 0
    if not (os.path.isfile(args.cli) and os.access(args.cli, os.X_OK)):
        print("conformance: error: CLI not found or not executable: %s" % args.cli,
              file=sys.stderr)
        return 2

    print("discovered %d cases in %s%s:" % (discovered, corpus,
                                           ("; %d selected by --filter" % len(cases))
                                           if args.filter else ""))
    for corp, s in sorted(summary.items()):
        print("  %-22s %4d cases, %4d runnable" % (corp, s["cases"], s["runnable"]))
    print("  (not runnable = cannot be expressed as CSV scoring; reasons at the end)")

    workdir = tempfile.mkdtemp(prefix="mb-conformance-")
    t0 = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda c: run_case(c, args.cli, args.timeout, workdir),
                                    cases))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - t0

    if args.verbose:
        for r in results:
            print("%-12s %-60s %s" % (r["status"], r["id"], r.get("reason", "")))
    for r in results:
        if r["status"] in ("fail", "crash", "error"):
            print("%s: %s: %s" % (r["status"].upper(), r["id"], r.get("reason", "")))

    print()
    by_fmt, by_fam, tot = print_table(results, sys.stdout)

    loose = {}
    for r in results:
        for t in r.get("tolerance", []):
            loose.setdefault(t, []).append(r["id"])
    if loose:
        print("\ntolerances looser than the default (rtol 1e-9, atol 1e-12), by case:")
        for t, ids in sorted(loose.items()):
            print("  %s:\n      %s" % (t, ", ".join(ids)))
    reasons = {}
    for r in results:
        if r["status"] == "not-runnable":
            reasons.setdefault(r["reason"], []).append(r["id"])
    if reasons:
        print("\nnot runnable:")
        for reason, ids in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
            print("  %4d  %s" % (len(ids), reason))

    floors = load_floors(args.floors)
    floor_problems = [] if args.filter else check_floors(floors, tot, by_fmt)
    if args.filter:
        print("\n(floors not checked or updated with --filter)")
    elif args.update_floors:
        new = {"total": max(floors.get("total", 0), tot["pass"]), "per_format": {}}
        for fmt in sorted(set(by_fmt) | set(floors.get("per_format", {}))):
            new["per_format"][fmt] = max(floors.get("per_format", {}).get(fmt, 0),
                                         by_fmt.get(fmt, {}).get("pass", 0))
        with open(args.floors, "w", encoding="utf-8") as fh:
            json.dump(new, fh, indent=2, sort_keys=True)
            fh.write("\n")
        print("\nfloors raised: %s" % json.dumps(new, sort_keys=True))

    if args.json:
        doc = {"schema": 1, "cli": args.cli, "corpus": corpus, "seconds": round(elapsed, 1),
               "discovered": summary, "totals": tot,
               "per_format": by_fmt,
               "per_family": {"%s %s" % k: v for k, v in sorted(by_fam.items())},
               "floors": floors, "floor_problems": floor_problems, "cases": results}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=False)
            fh.write("\n")

    for p in floor_problems:
        print("conformance: regression: " + p)
    failed = tot["fail"] + tot["error"] + tot["crash"]
    print("conformance: %d passed, %d failed, %d skipped" % (tot["pass"], failed,
                                                           tot["unsupported"]))
    if tot["crash"] or (floor_problems and not args.update_floors):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
