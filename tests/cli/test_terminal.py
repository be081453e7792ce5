#!/usr/bin/env python3
"""Behaviour that depends on where standard error goes, judged on a real pseudo-terminal
(python's pty): the progress bar appears by default on a terminal and never when standard error
is a pipe or a file; diagnostics are coloured on a terminal unless NO_COLOR is set, never in a
pipe; -q/--quiet prints data, JSON and errors only; binary output (rds, onnx) to standard output
on a terminal is refused, text output is not."""
import os
import pty
import subprocess

from clitest import Checker, args_parser, run, work_dir

CASE = "testdata/r/lm_rank_deficient"
ESC = "\x1b["


def on_pty(cli, args, cwd, env=None, stdout_too=False):
    """Runs cli with standard error (and with stdout_too standard output) on a pseudo-terminal;
    returns (exit code, what it printed there)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([cli, *args], cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=slave if stdout_too else subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # the slave side closed
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    return p.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.terminal")
    cli, src = os.path.abspath(args.cli), args.source
    work = work_dir(args, "terminal")
    out = os.path.join(work, "p.csv")
    model, data = f"{CASE}/model.rds", f"{CASE}/input.csv"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"

    # Progress: automatic on a terminal.
    rc, err = on_pty(cli, ["score", model, data, "-o", out], src, env)
    c.check(rc == 0, f"score on a terminal: exit {rc}: {err}")
    c.check("46 rows" in err and "rows/s" in err and "100%" in err, f"no progress bar on a terminal by default: {err!r}")
    rc, err = on_pty(cli, ["score", model, data, "-o", out, "--no-progress"], src, env)
    c.check("rows/s" not in err, f"--no-progress still shows progress: {err!r}")
    rc, err = on_pty(cli, ["score", model, data, "-o", out, "-q"], src, env)
    c.check(rc == 0 and err.strip() == "", f"-q on a terminal prints {err!r}")
    # Never when piped, even with -o.
    r = run(cli, "score", f"{src}/{model}", f"{src}/{data}", "-o", out)
    c.check(r.rc == 0 and "rows/s" not in r.err and "\r" not in r.err, f"progress in a pipe: {r.err!r}")
    c.check(ESC not in r.err, f"colour in a pipe: {r.err!r}")
    c.check(r.err.startswith("modelbridge: warning: "), f"warning line in a pipe: {r.err!r}")

    # Colour: on a terminal, unless NO_COLOR (any non-empty value) or TERM=dumb.
    rc, err = on_pty(cli, ["inspect", "no-such-file.rds"], src, env)
    c.check(rc == 2 and ESC + "1;31merror:" in err, f"no colour on a terminal: {err!r}")
    rc, err = on_pty(cli, ["score", model, data, "-o", out, "--no-progress"], src, env)
    c.check(ESC + "1;33mwarning:" in err, f"warning not coloured on a terminal: {err!r}")
    for var, value in (("NO_COLOR", "1"), ("TERM", "dumb")):
        rc, err = on_pty(cli, ["inspect", "no-such-file.rds"], src, {**env, var: value})
        c.check(rc == 2 and ESC not in err and "modelbridge: error: no-such-file.rds" in err,
                f"{var}={value} still colours: {err!r}")

    # -q: data and errors only.
    r = run(cli, "score", "-q", f"{src}/{model}", f"{src}/{data}", "--expected", f"{src}/{CASE}/expected.csv")
    c.check(r.rc == 0 and r.err == "" and r.out.startswith("prediction\n"), f"score -q: {r.rc} {r.err!r}")
    r = run(cli, "hash", "-q", f"{src}/{model}", "--check", "sha256:" + "0" * 64)
    c.check(r.rc == 1 and r.out == "" and r.err == "", f"hash -q --check mismatch: {r.rc} {r.out!r} {r.err!r}")
    r = run(cli, "hash", "--quiet", f"{src}/{model}")
    c.check(r.rc == 0 and r.out.startswith("sha256:"), f"hash --quiet without --check prints the hash: {r.out!r}")
    r = run(cli, "convert", "-q", f"{src}/{model}", os.path.join(work, "m.pmml"), "--data", f"{src}/{data}")
    c.check(r.rc == 0 and r.out == "" and r.err == "" and os.path.exists(os.path.join(work, "m.pmml")),
            f"convert -q: {r.rc} {r.out!r} {r.err!r}")
    r = run(cli, "diff", "-q", f"{src}/{model}", f"{src}/testdata/r/glm_logit_factor/model.rds")
    c.check(r.rc == 1 and r.out == "", f"diff -q: {r.rc} {r.out!r}")
    r = run(cli, "inspect", "-q", "no-such-file.rds")
    c.check(r.rc == 2 and r.err.startswith("modelbridge: error:"), f"-q keeps errors: {r.err!r}")

    # Binary output to a terminal: refused before anything is written; text formats and pipes
    # are fine.
    for to in ("onnx", "rds"):
        rc, tty = on_pty(cli, ["convert", model, "-", "--to", to], src, env, stdout_too=True)
        c.check(rc == 2 and "refusing to write binary " + to + " to a terminal" in tty and len(tty) < 400,
                f"convert - --to {to} on a terminal: exit {rc}, {tty[:300]!r}")
        r = subprocess.run([cli, "convert", "-q", model, "-", "--to", to], cwd=src, capture_output=True)
        c.check(r.returncode == 0 and len(r.stdout) > 100, f"convert - --to {to} into a pipe: exit {r.returncode}")
    rc, tty = on_pty(cli, ["convert", "-q", model, "-", "--to", "pmml"], src, env, stdout_too=True)
    c.check(rc == 0 and "<PMML" in tty, f"convert - --to pmml on a terminal: exit {rc}, {tty[:300]!r}")
    c.finish()


if __name__ == "__main__":
    main()
