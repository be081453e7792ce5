#!/usr/bin/env python3
"""score streams: `generator | modelbridge score MODEL - | consumer` over 3 million rows keeps a
bounded resident set (measured by the kernel: RUSAGE_CHILDREN max RSS of the scorer alone), no
larger than a 300 000-row run's plus a small margin, and every row comes out, in order: the rows
repeat with period 105, and each output line must equal the line a one-shot `score` of those 105
rows (from a file) gives for it, so content and order are checked line by line.
"""
import os
import resource
import subprocess
import sys
import time

from clitest import Checker, args_parser, run

PERIOD = 105  # rows repeat: lcm(7, 5, 3)


def rows_text(n):
    sp = ('setosa', 'versicolor', 'virginica')
    return "Sepal.Width,Petal.Length,Species\n" + "".join(
        '%d.5,%d.25,%s\n' % (i % 7, i % 5, sp[i % 3]) for i in range(n))


# The consumer: compares each line of the stream with the one-shot line of its row (argv[1]: the
# one-shot output) and writes "lines mismatches first-mismatch" to argv[2].
CONSUMER = (
    "import sys\n"
    "ref = open(sys.argv[1]).read().split('\\n')\n"
    "header, body = ref[0], [l for l in ref[1:] if l]\n"
    "n = bad = 0\n"
    "first = ''\n"
    "for line in sys.stdin:\n"
    "    line = line.rstrip('\\n')\n"
    "    want = header if n == 0 else body[(n - 1) % len(body)]\n"
    "    if line != want:\n"
    "        bad += 1\n"
    "        if not first: first = 'line %d: %r, want %r' % (n + 1, line, want)\n"
    "    n += 1\n"
    "open(sys.argv[2], 'w').write('%d %d %s' % (n, bad, first))\n")

LIMIT_MB = 200
# Under ASan + UBSan (tests/sanitize/run_sanitized.sh sets MB_SANITIZED=1) memory is the
# sanitizers' (shadow memory, quarantine): the memory bounds do not apply; the lines still must.
SANITIZED = os.environ.get("MB_SANITIZED") == "1"
MARGIN_MB = 16


def generator_script(rows):
    # Rows of lm_factor's inputs: (Sepal.Width, Petal.Length, Species); row i is recognisable.
    return ("import sys\n"
            "out = sys.stdout\n"
            "out.write('Sepal.Width,Petal.Length,Species\\n')\n"
            "sp = ('setosa', 'versicolor', 'virginica')\n"
            f"n = {rows}\n"
            "chunk = []\n"
            "for i in range(n):\n"
            "    chunk.append('%d.5,%d.25,%s\\n' % (i % 7, i % 5, sp[i % 3]))\n"
            "    if len(chunk) == 20000:\n"
            "        out.write(''.join(chunk)); chunk = []\n"
            "out.write(''.join(chunk))\n")


def scored(cli, model, rows, extra, oneshot):
    """Runs generator | score | consumer; returns (rc, lines out, mismatching lines, first
    mismatch, max RSS MB of the scorer, seconds)."""
    gen = subprocess.Popen([sys.executable, "-c", generator_script(rows)], stdout=subprocess.PIPE)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.time()
    # The scorer runs under its own wait so its rusage can be read alone.
    pid = os.fork()
    if pid == 0:
        os.dup2(gen.stdout.fileno(), 0)
        r, wfd = os.pipe()
        os.dup2(wfd, 1)
        os.set_inheritable(r, True)
        os.close(wfd)
        # A grandchild checks the lines; the child execs the scorer.
        cpid = os.fork()
        if cpid == 0:
            os.dup2(r, 0)
            os.close(1)
            os.execv(sys.executable, [sys.executable, "-c", CONSUMER, oneshot, COUNT_FILE])
        os.close(r)
        os.execv(cli, [cli, "score", model, "-", *extra])
    gen.stdout.close()
    _, status, usage = os.wait4(pid, 0)
    gen.wait()
    # Wait for the counter to finish writing.
    for _ in range(100):
        try:
            txt = open(COUNT_FILE).read().strip()
            if txt:
                break
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    n, bad, first = (txt.split(" ", 2) + [""])[:3]
    return os.waitstatus_to_exitcode(status), int(n), int(bad), first, usage.ru_maxrss / 1024.0, time.time() - t0


def main():
    global COUNT_FILE
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.streaming")
    work = args.work or "/tmp"
    os.makedirs(work, exist_ok=True)
    model = os.path.join(args.source, "testdata", "r", "lm_factor", "model.rds")
    # One-shot scoring of one period of rows, from a file: the reference for every streamed line.
    period = os.path.join(work, "stream_period.csv")
    with open(period, "w") as f:
        f.write(rows_text(PERIOD))
    assert rows_text(PERIOD) == subprocess.run([sys.executable, "-c", generator_script(PERIOD)],
                                               capture_output=True, text=True).stdout
    oneshot = os.path.join(work, "stream_oneshot.csv")
    res = run(args.cli, "score", model, period, "--keep", "Species", "-o", oneshot)
    if not c.check(res.rc == 0, f"one-shot score: exit {res.rc} {res.err.strip()}"):
        c.finish()
    n_lines = len([l for l in open(oneshot).read().split("\n") if l])
    c.check(n_lines == PERIOD + 1, f"one-shot score: {n_lines} lines for {PERIOD} rows")
    results = {}
    for rows in (300_000, 3_000_000):
        COUNT_FILE = os.path.join(work, f"stream_count_{rows}.txt")
        if os.path.exists(COUNT_FILE):
            os.remove(COUNT_FILE)
        rc, out_rows, bad, first, rss, secs = scored(args.cli, model, rows, ["--keep", "Species"], oneshot)
        print(f"{rows} rows: exit {rc}, {out_rows} lines out, {bad} differ from the one-shot scoring, "
              f"max RSS {rss:.1f} MB, {secs:.1f} s")
        c.check(rc == 0, f"{rows} rows: exit {rc}")
        c.check(out_rows == rows + 1, f"{rows} rows: {out_rows} lines out, expected {rows + 1}")
        c.check(bad == 0, f"{rows} rows: {bad} lines differ from the one-shot scoring; first {first}")
        c.check(SANITIZED or rss < LIMIT_MB, f"{rows} rows: max RSS {rss:.1f} MB over {LIMIT_MB} MB")
        results[rows] = rss
    c.check(SANITIZED or results[3_000_000] <= results[300_000] + MARGIN_MB,
            f"memory grows with rows: {results[300_000]:.1f} MB -> {results[3_000_000]:.1f} MB")
    c.finish()


COUNT_FILE = ""

if __name__ == "__main__":
    main()
