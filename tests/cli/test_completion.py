#!/usr/bin/env python3
"""Shell completions: `modelbridge completion bash` and `completion zsh` offer every command that
`modelbridge --help` lists and, after a command, every option its `--help` lists (no more, no
fewer).  The bash script is run by bash with the variables bash's completion sets; the zsh
script is read (zsh itself is not needed): its command list and per-command option lists.
`cmake --install` installs both where bash-completion and zsh find them."""
import os
import re
import shutil
import subprocess
import tempfile

from clitest import Checker, args_parser, run


def help_sections(text):
    """{section title: [first token of each entry line]} of a CLI11 --help text."""
    out, title = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            out[title] = []
        elif title and line.startswith("  ") and line.strip():
            out[title].append(line.split()[0])
    return out


def help_options(cli, command):
    names = []
    for token in help_sections(run(cli, command, "--help").out).get("Options", []):
        names += [n for n in token.split(",") if n.startswith("-")]
    return sorted(names)


def bash_complete(script, words, cword):
    """COMPREPLY of the generated bash function for the given command line."""
    prog = script + "\nCOMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + f")\nCOMP_CWORD={cword}\n" + \
        "_modelbridge\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    p = subprocess.run(["bash", "-c", prog], capture_output=True, text=True)
    return sorted(x for x in p.stdout.splitlines() if x)


def main():
    args = args_parser(__doc__).parse_args()
    c = Checker("cli.completion")
    cli = args.cli
    commands = help_sections(run(cli, "--help").out).get("Subcommands", [])
    c.check(len(commands) >= 6 and "completion" in commands, f"--help lists commands {commands}")

    r = run(cli, "completion", "bash")
    c.check(r.rc == 0 and "complete -o filenames -F _modelbridge modelbridge" in r.out, f"completion bash: exit {r.rc}")
    bash = r.out
    got = bash_complete(bash, ["modelbridge", ""], 1)
    c.check(got == sorted(commands + ["--help", "--version"]), f"bash: commands offered {got} vs --help {commands}")
    c.check(bash_complete(bash, ["modelbridge", "sc"], 1) == ["score"], "bash: 'sc' does not complete to score")
    for cmd in commands:
        want = help_options(cli, cmd)
        got = bash_complete(bash, ["modelbridge", cmd, "-"], 2)
        c.check(got == want and want, f"bash {cmd}: options offered {got} vs --help {want}")
    got = bash_complete(bash, ["modelbridge", "score", "--no-h"], 2)
    c.check(got == ["--no-header"], f"bash: '--no-h' after score gives {got}")

    r = run(cli, "completion", "zsh")
    c.check(r.rc == 0 and r.out.startswith("#compdef modelbridge\n"), f"completion zsh: exit {r.rc}")
    zsh = r.out
    listed = re.findall(r"^    '([a-z]+):[^']*'$", zsh, re.M)
    c.check(listed == commands, f"zsh: commands {listed} vs --help {commands}")
    for cmd in commands:
        m = re.search(r"^    " + cmd + r"\) opts=\(([^)]*)\) ;;$", zsh, re.M)
        got = sorted(m.group(1).split()) if m else None
        c.check(got == help_options(cli, cmd), f"zsh {cmd}: options {got} vs --help {help_options(cli, cmd)}")

    # `cmake --install` puts them where bash-completion and zsh look, as the binary generates them.
    build = os.path.dirname(os.path.abspath(cli))
    if c.check(os.path.exists(os.path.join(build, "cmake_install.cmake")), f"{build} is a CMake build folder"):
        prefix = tempfile.mkdtemp(prefix="mb-install-")
        p = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
        c.check(p.returncode == 0, f"cmake --install: exit {p.returncode} {p.stderr}")
        installed = {
            "share/bash-completion/completions/modelbridge": bash,
            "share/zsh/site-functions/_modelbridge": zsh,
        }
        for rel, want in installed.items():
            path = os.path.join(prefix, rel)
            got = open(path).read() if os.path.exists(path) else None
            c.check(got == want, f"installed {rel}: {'missing' if got is None else 'differs from the binary output'}")
        c.check(os.path.exists(os.path.join(prefix, "bin", "modelbridge"))
                and os.path.exists(os.path.join(prefix, "share", "man", "man1", "modelbridge-score.1")),
                "cmake --install puts the binary and the manual pages beside the completions")
        shutil.rmtree(prefix, ignore_errors=True)

    r = run(cli, "completion", "fish")
    c.check(r.rc == 2 and "bash, zsh" in r.err, f"completion fish: exit {r.rc} {r.err!r}")
    c.finish()


if __name__ == "__main__":
    main()
