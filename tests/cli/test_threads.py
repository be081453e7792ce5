#!/usr/bin/env python3
"""score --threads N: the same bytes and the same first error for every thread count.

A file of 60 000 rows (eight or more chunks) is built from a model's own input rows, with an
extra text column holding quoted commas, doubled quotes and line breaks inside quotes (so rows
span physical lines at chunk edges), and blank lines.  It is scored with --threads 1, 2, 4 and
the default; every output must be byte-identical, and every output row must equal the row a
one-shot score of the original rows gives for it (--keep'ing the text column checks it comes
through intact).  Then errors mid-file: a non-number, a ragged row, two errors in one file, a
stray character after a quoted field and a quote never closed; every thread count must exit 2
with the same message, naming the line of the first error, and leave no output file.
"""
import os

from clitest import Checker, args_parser, run, work_dir

ROWS = 60_000
TEXTS = ['plain', '"a, b"', '"say ""hi"""', '"two\nlines"', '"three\r\nline\nbreaks"', '""']
THREADS = (["--threads", "1"], ["--threads", "2"], ["--threads", "4"], [])


def build(path, header, body, rows, crlf=False, edit=None):
    """header + `rows` rows cycling through body, each with a text column; `edit(i, line)` may
    change row i's line.  Returns the 1-based physical line where each row starts."""
    eol = "\r\n" if crlf else "\n"
    starts = []
    line_no = 2
    with open(path, "w", newline="") as f:
        f.write(header + ",note" + eol)
        for i in range(rows):
            text = TEXTS[i % len(TEXTS)]
            line = body[i % len(body)] + "," + text
            if edit:
                line = edit(i, line)
            starts.append(line_no)
            f.write(line + eol)
            line_no += 1 + line.count("\n")
            if i % 997 == 0:  # a blank line: skipped, yet counted in line numbers
                f.write(eol)
                line_no += 1
    return starts


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.threads")
    cli = args.cli
    work = work_dir(args, "threads")
    for case in ("rf_class", "lm_factor"):
        dd = os.path.join(args.source, "testdata", "r", case)
        model = os.path.join(dd, "model.rds")
        with open(os.path.join(dd, "input.csv")) as f:
            lines = [l for l in f.read().splitlines() if l]
        header, body = lines[0], lines[1:]
        # One-shot reference: each distinct (row, text) pair scored in one small file.
        period = len(body) * len(TEXTS)
        small = os.path.join(work, f"{case}_period.csv")
        build(small, header, body, period)
        ref = run(cli, "score", model, small, "--keep", "note", "--threads", "1")
        if not c.check(ref.rc == 0, f"{case}: one-shot score: exit {ref.rc} {ref.err.strip()}"):
            continue
        rows = -(-ROWS // period) * period  # whole periods, at least ROWS
        for crlf in (False, True):
            what = f"{case}{' CRLF' if crlf else ''}"
            big = os.path.join(work, f"{case}_big.csv")
            build(big, header, body, rows, crlf=crlf)
            outs = []
            for t in THREADS:
                out = os.path.join(work, f"{case}_out{len(outs)}.csv")
                r = run(cli, "score", model, big, "--keep", "note", "-o", out, *t)
                c.check(r.rc == 0, f"{what} {t}: exit {r.rc} {r.err.strip()[:300]}")
                outs.append(open(out, "rb").read() if os.path.exists(out) else b"")
            for t, o in zip(THREADS[1:], outs[1:]):
                c.check(o == outs[0], f"{what}: output with {t or 'the default threads'} differs from --threads 1")
            # Row by row against the one-shot scoring: the file is whole periods of its rows.
            head, _, ref_body = ref.out.partition("\n")
            want = head + "\n" + ref_body * (rows // period)
            c.check(outs[0].decode() == want, f"{what}: --threads 1 rows differ from the one-shot scoring of the same rows")
        # Errors mid-file.
        def bad_number(at):
            return lambda i, line: ("oops" + line[line.index(","):]) if i == at else line

        def ragged(at):
            return lambda i, line: (line + ",extra") if i == at else line

        def both(a, b):
            return lambda i, line: ragged(b)(i, bad_number(a)(i, line))

        def open_quote(at):
            return lambda i, line: (line.rsplit(",", 1)[0] + ',"never closed') if i == at else line

        errs = [("non-number at row 20000", bad_number(20_000), 20_000, "is not a number"),
                ("ragged row at row 33333", ragged(33_333), 33_333, "expected"),
                ("non-number at 41000 then ragged at 17000", both(41_000, 17_000), 17_000, "expected"),
                ("ragged at 50001 then non-number at 50002", both(50_002, 50_001), 50_001, "expected"),
                # The open quote runs on to the next quoted field; what follows its close is stray.
                ("quote opened at row 45000", open_quote(45_000), None, "after a closing quote"),
                ("quote never closed in the last row", open_quote(rows - 1), rows - 1, "unterminated quoted field")]
        for what, edit, row, text in errs:
            bad = os.path.join(work, f"{case}_bad.csv")
            starts = build(bad, header, body, rows, edit=edit)
            results = []
            for t in THREADS:
                out = os.path.join(work, f"{case}_bad_out.csv")
                if os.path.exists(out):
                    os.remove(out)
                r = run(cli, "score", model, bad, "-o", out, *t)
                results.append((r.rc, r.err))
                c.check(not os.path.exists(out), f"{case} {what} {t}: an output file was left")
            rc, err = results[0]
            place = "" if row is None else f"line {starts[row]}"
            c.check(rc == 2 and place in err and text in err,
                    f"{case} {what}: --threads 1 exit {rc}, want 2 {place} ({text}): {err.strip()[:300]}")
            for t, (rc_t, err_t) in zip(THREADS[1:], results[1:]):
                c.check((rc_t, err_t) == (rc, err), f"{case} {what}: {t or 'default threads'} gives exit {rc_t} "
                        f"{err_t.strip()[:200]!r}, --threads 1 exit {rc} {err.strip()[:200]!r}")
    c.finish()


if __name__ == "__main__":
    main()
