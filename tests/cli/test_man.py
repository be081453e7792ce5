#!/usr/bin/env python3
"""Manual pages: every page formats without warnings (groff -man -ww -z), every option that a
command's --help lists appears in its page, modelbridge(1) names every command, and
`modelbridge help CMD` shows the command's help."""
import os
import re
import shutil
import subprocess

from clitest import Checker, args_parser, run

COMMANDS = ("convert", "inspect", "diff", "hash", "score")


def help_options(text):
    """Options listed in CLI11's --help: the first column of the option lines."""
    opts = set()
    for line in text.splitlines():
        m = re.match(r"^\s{2}(-[^\s]+)", line)
        if not m:
            continue
        for part in m.group(1).split(","):
            part = re.sub(r"\{[^}]*\}", "", part)
            if part.startswith("-"):
                opts.add(part)
    return opts


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.man")
    mandir = os.path.join(args.source, "man")
    pages = sorted(f for f in os.listdir(mandir) if f.endswith(".1"))
    c.check(pages == sorted(["modelbridge.1"] + [f"modelbridge-{x}.1" for x in COMMANDS]), f"pages {pages}")
    if shutil.which("groff"):
        for p in pages:
            r = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(mandir, p)], capture_output=True, text=True)
            c.check(r.returncode == 0 and r.stderr == "", f"{p}: groff warnings: {r.stderr.strip()}")
    else:
        print("skipped: groff is not installed")
    main_page = open(os.path.join(mandir, "modelbridge.1")).read()
    for opt in help_options(run(args.cli, "--help").out):
        c.check(opt.replace("-", "\\-") in main_page, f"modelbridge.1 lacks {opt}")
    for cmd in COMMANDS:
        c.check(f"modelbridge-{cmd}" in main_page, f"modelbridge.1 does not refer to modelbridge-{cmd}")
        page = open(os.path.join(mandir, f"modelbridge-{cmd}.1")).read()
        text = run(args.cli, cmd, "--help").out
        opts = help_options(text)
        c.check(len(opts) >= 2, f"{cmd} --help lists options: {opts}")
        for opt in sorted(opts):
            c.check(opt.replace("-", "\\-") in page, f"modelbridge-{cmd}.1 lacks {opt} listed by --help")
        for m in re.finditer(r"^\s{2}([A-Z]+) [A-Z]", text, re.M):  # positionals
            c.check(m.group(1) in page, f"modelbridge-{cmd}.1 lacks positional {m.group(1)}")
        r = run(args.cli, "help", cmd)
        c.check(r.rc == 0 and opts <= help_options(r.out), f"help {cmd} without a terminal prints the options")
    c.finish()


if __name__ == "__main__":
    main()
