#!/usr/bin/env python3
"""Mutation check: does the test suite catch small, realistic bugs?

Copies the repository (tracked and untracked files, not build/) to a temporary folder, then for
each mutation below: applies it alone, builds, runs the tests (ctest, the selection given by
--tests, by default every test), and records which tests fail.  A mutation no test catches is a
hole in the suite; the script exits 1 if there is one.  The copy first runs unmutated: the
selected tests must pass there, else a "catch" would prove nothing.

Not part of CI (one build and one test run per mutation: long on two cores).  Usage, from the
repository root:

    python3 tests/mutation_check.py                       # every mutation, every test
    python3 tests/mutation_check.py --tests 'unit|cli'    # a faster selection (ctest -R)
    python3 tests/mutation_check.py --only probit-constant --jobs 2 --keep
    python3 tests/mutation_check.py --tests 'unit.test_import_(linear|trees)' \
        --targets 'modelbridge test_import_linear test_import_trees'   # the quickest useful run

The copy sits beside a link named `shared` to ../shared, so the tests find the corpus as they do
in the repository; onnxruntime is linked from build/node.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


class Mutation:
    def __init__(self, name, path, old, new, what):
        self.name, self.path, self.old, self.new, self.what = name, path, old, new, what


MUTATIONS = [
    Mutation("probit-constant", "lib/eval/links.cpp",
             "return 0.5 * std::erfc(-e / std::sqrt(2.0));",
             "return 0.5 * std::erfc(-e / 1.4142135);",
             "the probit inverse link with sqrt(2) cut to 8 digits (a relative error near 5e-8)"),
    Mutation("split-lt-for-le", "lib/eval/tree_walk.cpp",
             "case ir::SplitOp::LessOrEqual: node.threshold = thr; break;",
             "case ir::SplitOp::LessOrEqual: node.threshold = below(thr); break;",
             "a tree split `x <= t` scored as `x < t`"),
    Mutation("level-code-off-by-one", "formats/r/importers/random_forest.cpp",
             "const bool set = c < 64 && ((b >> c) & 1u);",
             "const bool set = c < 63 && ((b >> (c + 1)) & 1u);",
             "randomForest categorical splits read bit `code` instead of bit `code - 1`"),
    Mutation("dropped-offset", "lib/eval/eval_linear.cpp",
             "for (size_t r = 0; r < rows; ++r) eta_[r * T + t] += off[r];",
             "for (size_t r = 0; r < rows; ++r) eta_[r * T + t] += 0 * off[r];",
             "a linear model's offset left out of the linear predictor"),
]


def sh(cmd, cwd, log, timeout=None):
    with open(log, "a") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout).returncode


def copy_repo(src, dst):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=src, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for rel in files:
        if not rel or rel.startswith("build/"):
            continue
        s, d = os.path.join(src, rel), os.path.join(dst, rel)
        if not os.path.isfile(s):
            continue
        os.makedirs(os.path.dirname(d), exist_ok=True)
        shutil.copy2(s, d)


def failed_tests(build, regex, jobs, log):
    """ctest on the selection: (ran, [failed test names])."""
    cmd = ["ctest", "--output-on-failure", "-j", str(jobs)]
    if regex:
        cmd += ["-R", regex]
    with open(log, "a") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        p = subprocess.run(cmd, cwd=build, capture_output=True, text=True, env=dict(os.environ, CI="true"))
        f.write(p.stdout + p.stderr)
    ran = re.search(r"tests passed, (\d+) tests failed out of (\d+)", p.stdout)
    failed = re.findall(r"^\s*\d+ - (\S+) \(", p.stdout, re.M)
    return (int(ran.group(2)) if ran else 0), failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tests", default="", help="ctest -R selection (default: every test)")
    ap.add_argument("--only", action="append", help="run only this mutation (repeatable)")
    ap.add_argument("--targets", default="", help="build only these CMake targets (blank-separated; default: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--workdir", help="where the temporary copy goes (default: build/ of this repository, "
                                      "so a compiler cache keyed on paths below a base folder still hits)")
    args = ap.parse_args()
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:24} {m.path}: {m.what}")
        return 0
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    for m in chosen:
        with open(os.path.join(src, m.path)) as f:
            if f.read().count(m.old) != 1:
                print(f"mutation_check: error: {m.name}: the text to mutate is not found once in {m.path}; "
                      f"update tests/mutation_check.py")
                return 2
    workdir = args.workdir or os.path.join(src, "build")
    os.makedirs(workdir, exist_ok=True)
    top = tempfile.mkdtemp(prefix="mutation-", dir=workdir)
    build_cmd = ["cmake", "--build", "build", f"-j{args.jobs}"] + (["--target", *args.targets.split()] if args.targets else [])
    repo, build, log = os.path.join(top, "repo"), os.path.join(top, "repo", "build"), os.path.join(top, "log.txt")
    print(f"copy in {top} (log: {log})", flush=True)
    try:
        copy_repo(src, repo)
        shared = os.path.join(os.path.dirname(src), "shared")
        if os.path.isdir(shared):
            os.symlink(shared, os.path.join(top, "shared"))
        os.makedirs(os.path.join(build, "node"))
        if os.path.isdir(os.path.join(src, "build", "node", "node_modules")):
            os.symlink(os.path.join(src, "build", "node", "node_modules"), os.path.join(build, "node", "node_modules"))
        if sh(["cmake", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], repo, log) != 0:
            print("mutation_check: error: cmake failed; see the log")
            return 2
        t0 = time.time()
        if sh(build_cmd, repo, log) != 0:
            print("mutation_check: error: the unmutated copy does not build; see the log")
            return 2
        ran, failed = failed_tests(build, args.tests, args.jobs, log)
        print(f"unmutated: {ran} tests, {len(failed)} failed ({time.time() - t0:.0f} s)", flush=True)
        if ran == 0 or failed:
            print(f"mutation_check: error: the unmutated copy must pass the selection first: {failed}")
            return 2
        uncaught = []
        for m in chosen:
            path = os.path.join(repo, m.path)
            with open(path) as f:
                original = f.read()
            with open(path, "w") as f:
                f.write(original.replace(m.old, m.new, 1))
            t0 = time.time()
            try:
                if sh(build_cmd, repo, log) != 0:
                    print(f"{m.name}: does not build (not a useful mutation); see the log")
                    uncaught.append(m.name)
                    continue
                _, failed = failed_tests(build, args.tests, args.jobs, log)
            finally:
                with open(path, "w") as f:
                    f.write(original)
            state = f"caught by {', '.join(failed)}" if failed else "NOT CAUGHT"
            print(f"{m.name} ({m.what}): {state} ({time.time() - t0:.0f} s)", flush=True)
            if not failed:
                uncaught.append(m.name)
        # Leave the copy's build matching the sources.
        sh(build_cmd, repo, log)
        print(f"mutation_check: {len(chosen) - len(uncaught)} of {len(chosen)} mutations caught"
              + (f"; not caught: {', '.join(uncaught)}" if uncaught else ""))
        return 1 if uncaught else 0
    finally:
        if args.keep:
            print(f"kept {top}")
        else:
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
