#!/usr/bin/env python3
"""Golden tests: each tests/golden/cases/NAME.golden holds one command line, its exit code, and
the standard output and standard error it must print, byte for byte after normalisation.

File layout:
    $ modelbridge ARGS...          (split like a shell line; $WORK is a scratch directory)
    exit N
    --- stdout
    ...
    --- stderr
    ...

Commands run from the repository root, so testdata paths print as written.  The scratch
directory prints as $WORK.  A case whose file name ends in .xfail.golden is expected to fail
(a known defect, named in its first line after `# `); it fails the run when it passes.

--update rewrites every golden file from what the binary prints now; read the diff before
committing it (git diff tests/golden): a golden file is a claim that the output is right.
"""
import argparse
import difflib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def parse(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    comments = [l for l in lines if l.startswith("# ")]
    lines = [l for l in lines if not l.startswith("# ")]
    assert lines[0].startswith("$ modelbridge"), f"{path}: first line must be '$ modelbridge ...'"
    args = shlex.split(lines[0][len("$ modelbridge"):])
    assert lines[1].startswith("exit "), f"{path}: second line must be 'exit N'"
    rc = int(lines[1][5:])
    text = "\n".join(lines[2:])
    assert text.startswith("--- stdout\n"), f"{path}: '--- stdout' expected on line 3"
    out, sep, err = text[len("--- stdout\n"):].partition("--- stderr\n")
    assert sep, f"{path}: '--- stderr' missing"
    return comments, lines[0], args, rc, out, err


def render(comments, command, rc, out, err):
    text = "".join(c + "\n" for c in comments) + f"{command}\nexit {rc}\n--- stdout\n{out}"
    if out and not out.endswith("\n"):
        text += "\n"
    return text + f"--- stderr\n{err}"


def normalise(text, work):
    return text.replace(work, "$WORK")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cli", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--update", action="store_true", help="rewrite the golden files from the current output")
    p.add_argument("cases", nargs="*", help="case names (default: all)")
    a = p.parse_args()
    case_dir = os.path.join(HERE, "cases")
    files = sorted(f for f in os.listdir(case_dir) if f.endswith(".golden"))
    if a.cases:
        files = [f for f in files if f.split(".")[0] in a.cases]
    failures = 0
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C")
    for fname in files:
        path = os.path.join(case_dir, fname)
        comments, command, args, rc_want, out_want, err_want = parse(path)
        work = tempfile.mkdtemp(prefix="mb-golden-")
        try:
            args = [x.replace("$WORK", work) for x in args]
            r = subprocess.run([a.cli, *args], cwd=a.source, capture_output=True, env=env, stdin=subprocess.DEVNULL,
                               timeout=300)
            out = normalise(r.stdout.decode("utf-8", "replace"), work)
            err = normalise(r.stderr.decode("utf-8", "replace"), work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if a.update:
            new = render(comments, command, r.returncode, out, err)
            if new != render(comments, command, rc_want, out_want, err_want):
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
                print(f"updated {fname}")
            continue
        ok = r.returncode == rc_want and out == out_want and err == err_want
        xfail = fname.endswith(".xfail.golden")
        if ok and xfail:
            failures += 1
            print(f"XPASS {fname}: the known defect is gone; rename it to .golden")
        elif not ok and xfail:
            print(f"xfail {fname}: {comments[0][2:] if comments else ''}")
        elif not ok:
            failures += 1
            print(f"FAIL {fname}: {command}")
            if r.returncode != rc_want:
                print(f"  exit {r.returncode}, expected {rc_want}")
            for name, want, got in (("stdout", out_want, out), ("stderr", err_want, err)):
                if want != got:
                    sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                               f"expected {name}", f"actual {name}"))
        else:
            print(f"ok {fname}")
    print(f"cli.golden: {len(files)} cases, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
