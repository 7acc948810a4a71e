#!/usr/bin/env python3
"""Check (or rewrite) the command outputs shown in README.md against what billcast prints now.

Any change to the engine's random streams, the pricing data or a report layout changes the
numbers the README quotes; this script finds the stale ones instead of a reader.

Usage:
    scripts/readme-outputs.py [--write] [--bin PATH] [--only TEXT]

A "live" block is a ```text fence whose first line is `$ command` (shell transcript style:
`$ ` lines are commands, `\\`-continued, and the lines after each are its output), or a
```text fence right after `<!-- readme-outputs: command -->` (the whole block is that command's
output), or the lines between such a marker and `<!-- /readme-outputs -->` when no fence follows
(for commands that print markdown). A line `...` in a shown output elides lines: the lines before the first `...` are the
real output's first lines, each later run of lines is found again by the first word of its first
line, and unless the output ends with `...` the last run is the real output's last lines.

Each block runs in one bash session (so `echo $?` reports the previous command's exit code) in
a scratch directory that links the repository's top-level entries, with `billcast` on PATH
resolving to --bin (default target/release/billcast; build it first). Files the commands write
(base.json, ...) land in the scratch directory, never in the repository.

Without --write: prints a unified diff per stale block, exits 1 if any. With --write: rewrites
the stale blocks in place, keeping each elision at the same place.
"""

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"^<!--\s*readme-outputs:\s*(.+?)\s*-->\s*$")
END_MARKER = "<!-- /readme-outputs -->"
ELISION = "..."


def fence_end(lines, start):
    """Index of the closing fence of the block whose body starts at `start`."""
    end = start
    while end < len(lines) and lines[end].rstrip() != "```":
        end += 1
    return end


def live_blocks(lines):
    """Yield (start, end, commands, outputs): the block's body is lines[start:end]."""
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i])
        if marker:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j].rstrip() == "```text":
                start, end = j + 1, fence_end(lines, j + 1)
            else:
                # Unfenced (e.g. markdown tables): the output runs to the closing marker.
                start, end = i + 1, i + 1
                while end < len(lines) and lines[end].strip() != END_MARKER:
                    end += 1
                if end == len(lines):
                    sys.exit(f"readme-outputs: README.md:{i + 1}: no {END_MARKER} after this marker")
            yield start, end, [marker.group(1)], [lines[start:end]]
            i = end + 1
        elif lines[i].rstrip() == "```text" and lines[i + 1 : i + 2] and lines[i + 1].startswith("$ "):
            start, end = i + 1, fence_end(lines, i + 1)
            body = lines[start:end]
            commands, outputs = [], []
            k = 0
            while k < len(body):
                cmd = body[k][2:]
                while cmd.rstrip().endswith("\\") and k + 1 < len(body):
                    k += 1
                    cmd = cmd + "\n" + body[k]
                commands.append(cmd)
                outputs.append([])
                k += 1
                while k < len(body) and not body[k].startswith("$ "):
                    outputs[-1].append(body[k])
                    k += 1
            yield start, end, commands, outputs
            i = end + 1
        else:
            i += 1


def run_block(commands, scratch):
    """Run the commands in one bash session; return each command's standard output lines
    (progress and error messages go to standard error, which READMEs do not show)."""
    sep = "@@readme-outputs-boundary@@"
    script = ["set +e"]
    for c in commands:
        script.append(c)
        script.append(f'__rc=$?; echo "{sep}"; (exit $__rc)')
    env = dict(os.environ)
    bindir = os.path.join(scratch, ".bin")
    env["PATH"] = bindir + os.pathsep + env["PATH"]
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    p = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=scratch,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parts = p.stdout.split(sep + "\n")
    outputs = [part.rstrip("\n").split("\n") if part.strip() else [] for part in parts[: len(commands)]]
    return outputs, p.stderr


def key(line):
    """First word of a line: how a chunk after an elision is found again."""
    words = line.split()
    return words[0] if words else ""


def fit(shown, actual):
    """The output to show: `actual`, elided where `shown` elides. The chunk before the first
    `...` is the output's first lines; every later chunk is found again at the next line whose
    first word matches its own first line's, and keeps its length; unless `shown` ends with
    `...`, the last chunk is the output's last lines. Trailing spaces are ignored."""
    actual = [a.rstrip() for a in actual]
    if not any(s.strip() == ELISION for s in shown):
        return actual
    chunks, cuts = [[]], []
    for s in shown:
        if s.strip() == ELISION:
            cuts.append(s.rstrip())
            chunks.append([])
        else:
            chunks[-1].append(s)
    out = actual[: len(chunks[0])]
    at = len(out)
    for cut, chunk in zip(cuts, chunks[1:]):
        out.append(cut)
        if not chunk:
            return out
        if chunk is chunks[-1]:
            start = max(at, len(actual) - len(chunk))
        else:
            start = next((i for i in range(at, len(actual)) if key(actual[i]) == key(chunk[0])), None)
            if start is None:
                return actual  # the chunk is gone: show everything, the diff says why
        out.extend(actual[start : start + len(chunk)])
        at = start + len(chunk)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite stale blocks in place")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "billcast"))
    ap.add_argument("--only", help="only blocks whose commands contain this text")
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"readme-outputs: {binary} is not an executable; build it (cargo build --release) or pass --bin")
    with open(args.readme) as f:
        lines = f.read().split("\n")
    stale, checked = [], 0
    with tempfile.TemporaryDirectory(prefix="readme-outputs-") as scratch:
        for entry in os.listdir(ROOT):
            if entry not in (".git", "target"):
                os.symlink(os.path.join(ROOT, entry), os.path.join(scratch, entry))
        os.makedirs(os.path.join(scratch, ".bin"))
        os.symlink(binary, os.path.join(scratch, ".bin", "billcast"))
        for start, end, commands, outputs in live_blocks(lines):
            if args.only and not any(args.only in c for c in commands):
                continue
            checked += 1
            # Commands name paths relative to the repository root; the scratch directory links
            # every top-level entry of the repository, so they resolve inside it.
            got, stderr = run_block(commands, scratch)
            body = []
            marker = len(commands) == 1 and not lines[start].startswith("$ ")
            for c, shown, actual in zip(commands, outputs, got):
                if not marker:
                    body.extend(("$ " + c).split("\n"))
                body.extend(fit(shown, actual))
            old = [l.rstrip() for l in lines[start:end]]
            if body != old:
                stale.append((start, end, body))
                label = commands[0].split("\n")[0]
                sys.stdout.writelines(
                    difflib.unified_diff(
                        [l + "\n" for l in old],
                        [l + "\n" for l in body],
                        f"README.md:{start + 1} (shown)",
                        f"{label} (now)",
                    )
                )
                if stderr.strip():
                    print("standard error of that block:")
                    print("\n".join("  " + l for l in stderr.rstrip().split("\n")[-20:]))
    if args.write and stale:
        for start, end, body in sorted(stale, reverse=True):
            lines[start:end] = body
        with open(args.readme, "w") as f:
            f.write("\n".join(lines))
        print(f"readme-outputs: rewrote {len(stale)} of {checked} blocks")
        return 0
    if stale:
        print(f"readme-outputs: {len(stale)} of {checked} blocks are stale (run with --write to update)")
        return 1
    print(f"readme-outputs: {checked} blocks match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
