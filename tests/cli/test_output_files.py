#!/usr/bin/env python3
"""Output files: an output that is one of the command's inputs (the same file, also through a
symbolic or hard link) is refused with exit 2 and left untouched; the temporary OUT.tmp-XXXXXX
appears only once the input has been read, and SIGINT, SIGTERM, SIGHUP or SIGPIPE during a long
`score -o` leave neither it nor OUT behind; a failing run leaves no partial file.
"""
import os
import shutil
import signal
import subprocess
import time

from clitest import Checker, args_parser, listing, run, work_dir


def wait_for(pred, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.output_files")
    cli = args.cli
    w = work_dir(args, "output_files")
    shutil.rmtree(w)
    os.makedirs(w)
    lm = os.path.join(args.source, "testdata", "r", "lm_factor")
    model, data = os.path.join(w, "model.rds"), os.path.join(w, "in.csv")
    shutil.copy(os.path.join(lm, "model.rds"), model)
    shutil.copy(os.path.join(lm, "input.csv"), data)
    pmml = os.path.join(w, "m.pmml")
    c.check(run(cli, "convert", model, pmml).rc == 0, "convert to PMML")

    def unchanged(path):
        before = open(path, "rb").read()
        return lambda: open(path, "rb").read() == before

    # Input as output: refused, untouched.
    os.symlink(pmml, os.path.join(w, "link.pmml"))
    os.link(data, os.path.join(w, "hard.csv"))
    cases = [
        (["convert", pmml, pmml], pmml),
        (["convert", model, model, "--to", "onnx"], model),
        (["convert", os.path.join(w, "link.pmml"), pmml], pmml),
        (["convert", pmml, os.path.join(w, "link.pmml")], pmml),
        (["convert", model, data, "--to", "pmml", "--data", data], data),
        (["score", model, data, "-o", data], data),
        (["score", model, data, "-o", os.path.join(w, "hard.csv")], data),
        (["score", model, data, "-o", model], model),
    ]
    for argv, victim in cases:
        same = unchanged(victim)
        res = run(cli, *argv)
        line = res.error_line() or ""
        c.check(res.rc == 2 and "refusing to replace it" in line, f"{argv[0]} onto an input: exit {res.rc} {res.err.strip()!r}")
        c.check(same(), f"{' '.join(argv[1:])}: the input changed")
    c.check(not any(".tmp-" in f for f in listing(w)), f"temporaries left: {listing(w)}")

    header = open(data).read().splitlines()[0]
    row = open(data).read().splitlines()[1]
    out_dir = os.path.join(w, "out")
    os.makedirs(out_dir)
    out = os.path.join(out_dir, "pred.csv")

    # The temporary appears only once the model and the header are read; a signal removes it.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        p = subprocess.Popen([cli, "score", model, "-", "-o", out], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.3)
        c.check(listing(out_dir) == [], f"{sig.name}: a temporary exists before the input is read: {listing(out_dir)}")
        try:
            p.stdin.write((header + "\n" + (row + "\n") * 50000).encode())
            p.stdin.flush()
        except BrokenPipeError:
            c.check(False, f"{sig.name}: score stopped reading: {p.stderr.read().decode()[:300]!r}")
        appeared = wait_for(lambda: any(".tmp-" in f for f in listing(out_dir)))
        c.check(appeared, f"{sig.name}: no temporary while scoring: {listing(out_dir)}")
        p.send_signal(sig)
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        rc = p.wait(timeout=30)
        c.check(rc == -sig, f"{sig.name}: exit {rc}, want death by the signal")
        c.check(listing(out_dir) == [], f"{sig.name} during score -o left {listing(out_dir)}")

    # convert reading its model from a pipe: nothing in the directory until the model is read.
    target = os.path.join(out_dir, "m.onnx")
    p = subprocess.Popen([cli, "convert", "-", target, "--from", "rds"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    blob = open(model, "rb").read()
    p.stdin.write(blob[: len(blob) // 2])
    p.stdin.flush()
    time.sleep(0.3)
    c.check(listing(out_dir) == [], f"convert: a file exists while the model is being read: {listing(out_dir)}")
    p.stdin.close()  # half a model: an error, nothing written
    rc = p.wait(timeout=30)
    c.check(rc == 2 and listing(out_dir) == [], f"convert of half a model: exit {rc}, files {listing(out_dir)}")

    # A failing score (a bad row after many good ones) leaves no partial file.
    p = subprocess.run([cli, "score", model, "-", "-o", out], input=(header + "\n" + (row + "\n") * 100000 +
                                                                    "x,1,setosa\n").encode(), capture_output=True)
    c.check(p.returncode == 2 and listing(out_dir) == [], f"failing score: exit {p.returncode}, files {listing(out_dir)}")
    # And a good one leaves exactly OUT.
    p = subprocess.run([cli, "score", model, data, "-o", out], capture_output=True)
    c.check(p.returncode == 0 and listing(out_dir) == ["pred.csv"], f"score -o: exit {p.returncode}, files {listing(out_dir)}")
    c.finish()


if __name__ == "__main__":
    main()
