#!/usr/bin/env python3
"""Run every command the README shows in its ```sh blocks, as a user of a fresh clone would.

The README promises that its commands run from the repository root with nothing but the
repository. This script checks that promise: it copies the repository's files (as git lists
them) into a scratch directory, puts `billcast` on PATH (--bin, default target/release/billcast),
and runs each ```sh block in order, in one bash session per block, in that directory, so files
one block writes (review/forecast.json, base.json, ...) are there for the next. A command fails
the check when it exits non-zero, except that a `billcast diff ... --fail-if` may exit 3 (the
cost gate tripping is what those examples show).

Skipped lines: `git ...` and `cargo ...` (installing, testing and benchmarking billcast itself;
CI runs those separately). `gh` (GitHub's CLI, which the README pipes PR comments into) is a
stand-in that reads its input and discards it.

Usage:
    scripts/readme-commands.py [--bin PATH] [--readme README.md]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE = re.compile(r"^```(sh|bash)\s*$")


def sh_blocks(lines):
    """Yield (line number, [logical commands]) for each ```sh block; `\\` continues a line."""
    i = 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            start, body, i = i + 1, [], i + 1
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            commands, cur = [], ""
            for line in body:
                cur += line
                if cur.rstrip().endswith("\\"):
                    cur = cur.rstrip()[:-1] + " "
                    continue
                stripped = cur.strip()
                if stripped and not stripped.startswith("#"):
                    commands.append(stripped)
                cur = ""
            yield start, commands
        i += 1


def skipped(command):
    return command.split()[0] in ("git", "cargo")


def repository_files():
    """The files git knows about (tracked, or untracked and not ignored); outside a git
    checkout (CI's isolated copy), every file but build output."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    if out.returncode == 0:
        return list(filter(None, out.stdout.decode().split("\0")))
    files = []
    for top, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not (top == ROOT and d in (".git", "target"))]
        files.extend(os.path.relpath(os.path.join(top, n), ROOT) for n in names)
    return files


def copy_repository(dest):
    """Copy the repository's files into dest."""
    for rel in repository_files():
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "billcast"))
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"readme-commands: {binary} is not an executable; build it or pass --bin")
    with open(args.readme) as f:
        lines = f.read().split("\n")
    failures, ran = [], 0
    with tempfile.TemporaryDirectory(prefix="readme-commands-") as tmp:
        repo = os.path.join(tmp, "billcast")
        copy_repository(repo)
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        os.symlink(binary, os.path.join(bindir, "billcast"))
        with open(os.path.join(bindir, "gh"), "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null\n")
        os.chmod(os.path.join(bindir, "gh"), 0o755)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], NO_COLOR="1")
        for line_no, commands in sh_blocks(lines):
            script = ["set -o pipefail"]
            for c in commands:
                if skipped(c):
                    continue
                ran += 1
                ok = "[ $__rc -eq 0 ]"
                if c.startswith("billcast diff") and "--fail-if" in c:
                    ok = "[ $__rc -eq 0 ] || [ $__rc -eq 3 ]"
                script.append(f"{{ {c}\n}} >/dev/null")  # the newline ends a trailing comment
                script.append(
                    f'__rc=$?; {ok} || {{ echo "README.md:{line_no}: exit $__rc: "{quote(c)} >&2; exit 1; }}'
                )
            if len(script) == 1:
                continue
            t = time.time()
            p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=repo, env=env,
                               stderr=subprocess.PIPE, text=True)
            status = "ok" if p.returncode == 0 else "FAILED"
            print(f"README.md:{line_no}: {status} ({time.time() - t:.1f} s)")
            if p.returncode != 0:
                failures.append(p.stderr.strip().split("\n")[-1])
                sys.stderr.write(p.stderr)
    print(f"readme-commands: {ran} commands, {len(failures)} failed blocks")
    if failures:
        for f in failures:
            print("  " + f)
        sys.exit(1)


def quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    main()
