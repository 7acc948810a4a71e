#!/usr/bin/env python3
"""Checks that billcast's top-level modules form layers: no import cycles, no upward edge.

A top-level module is `src/<name>.rs` or `src/<name>/`. Every `crate::<name>` reference in
`src/<top>/**` (use statements, grouped uses `crate::{a, b::c}` and qualified paths, test modules
included: a test that reaches into a higher module is a dependency like any other) adds the edge
<top> -> <name>. Comments, doc comments and string literals are skipped: an intra-doc link is
not a code dependency. `src/cli` belongs to the binary and reaches the library as `billcast::`;
those count as edges from `cli` too. `lib.rs` and `main.rs` only declare modules.

The script prints every edge with its reference count, then:
  * any cycle (a strongly connected component of more than one module): exit 1;
  * any edge that goes upward in LAYERS below (or touches a module missing from LAYERS): exit 1.

Usage: python3 scripts/layers.py [--quiet]   (run from anywhere; reads the repository's src/)
"""

import os
import re
import sys

# Bottom to top. A module may use modules of its own layer or of any layer below it; cycles are
# refused separately, so two modules of one layer may not use each other.
LAYERS = [
    # leaf utilities: units and formatting, statistics, tables, TOML helpers, atomic writes
    ["atomic", "toml_util", "units", "stats", "table"],
    ["dist"],
    # inputs: token-usage accounting, logs, price tables, prompt and tool files
    ["usage"],
    ["ingest", "pricing"],
    ["artifact"],
    ["fit"],
    ["scenario"],
    ["engine"],
    # results: the forecast model, then what is computed from runs of the engine
    ["report"],
    ["overhead", "backtest", "whatif"],
    # the results model: one envelope around every kind of result
    ["results"],
    # exporters: charts of any result, then every result in every text format (table, JSON,
    # CSV, Markdown, the HTML page that embeds the charts)
    ["charts"],
    ["export"],
    ["cli"],
]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "src")


def strip_comments_and_strings(text):
    """Returns `text` with comments and string/char literal contents blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'b?r(#*)"', text[i:i + 300]) if c in "rb" else None
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = '"' + m.group(1)
            j = text.find(close, i + m.end())
            j = n if j < 0 else j + len(close)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
            continue
        if c == "'":
            # char literal ('a', '\n', '\u{1F600}', '"') versus lifetime ('a)
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:i + 12])
            if m:
                out.append("' '")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def group_heads(body):
    """First path segment of each item in a `{...}` use group (top level of the braces only)."""
    heads, depth, item = [], 0, ""
    for c in body:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if depth == 0 and c == ",":
            heads.append(item)
            item = ""
        elif depth >= 0:
            item += c
    heads.append(item)
    names = []
    for h in heads:
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", h)
        if m:
            names.append(m.group(1))
    return names


def references(code, prefix):
    """Top-level names referenced as `<prefix>::name` or `<prefix>::{name, ...}`."""
    names = []
    for m in re.finditer(r"(?<![A-Za-z0-9_:])" + prefix + r"\s*::\s*", code):
        rest = code[m.end():]
        if rest.startswith("{"):
            depth = 0
            for k, c in enumerate(rest):
                depth += c == "{"
                depth -= c == "}"
                if depth == 0:
                    names.extend(group_heads(rest[1:k]))
                    break
        else:
            w = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
            if w:
                names.append(w.group(0))
    return names


def top_modules():
    tops = set()
    for entry in os.listdir(SRC):
        path = os.path.join(SRC, entry)
        if os.path.isdir(path):
            tops.add(entry)
        elif entry.endswith(".rs") and entry not in ("lib.rs", "main.rs"):
            tops.add(entry[:-3])
    return tops


def edges():
    tops = top_modules()
    found = {}
    for dirpath, _, files in os.walk(SRC):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, SRC)
            top = rel.split(os.sep)[0]
            top = top[:-3] if top.endswith(".rs") else top
            if top in ("lib", "main"):
                continue
            with open(path, encoding="utf-8") as fh:
                code = strip_comments_and_strings(fh.read())
            prefix = "billcast" if top == "cli" else "crate"
            refs = references(code, prefix)
            if top == "cli":
                refs += references(code, "crate")
            for name in refs:
                if name in tops and name != top:
                    found.setdefault((top, name), {}).setdefault(rel, 0)
                    found[(top, name)][rel] += 1
    return tops, found


def strongly_connected(nodes, adj):
    """Tarjan's algorithm; returns the components with more than one node."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(adj.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return comps


def main():
    quiet = "--quiet" in sys.argv[1:]
    tops, found = edges()
    tops.add("cli")
    layer_of = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    adj = {}
    for (a, b) in found:
        adj.setdefault(a, set()).add(b)

    if not quiet:
        print("module dependencies (from -> to: references in files):")
        for (a, b) in sorted(found):
            files = found[(a, b)]
            where = ", ".join(f"{f}×{k}" if k > 1 else f for f, k in sorted(files.items()))
            print(f"  {a} -> {b}: {where}")

    failed = False
    for comp in strongly_connected(tops, adj):
        failed = True
        inner = sorted((a, b) for (a, b) in found if a in comp and b in comp)
        print(f"cycle among {', '.join(comp)}:", file=sys.stderr)
        for a, b in inner:
            print(f"  {a} -> {b}: {', '.join(sorted(found[(a, b)]))}", file=sys.stderr)

    missing = sorted(m for m in tops if m not in layer_of)
    if missing:
        failed = True
        print(f"modules missing from LAYERS in scripts/layers.py: {', '.join(missing)}",
              file=sys.stderr)
    for (a, b) in sorted(found):
        if a in layer_of and b in layer_of and layer_of[b] > layer_of[a]:
            failed = True
            print(f"upward edge {a} -> {b} (layer {layer_of[a]} uses layer {layer_of[b]}): "
                  f"{', '.join(sorted(found[(a, b)]))}", file=sys.stderr)

    if failed:
        print("layers: FAILED (move the shared piece down to a lower layer; see the README's "
              "Development section)", file=sys.stderr)
        return 1
    print(f"layers: ok ({len(tops)} top-level modules, {len(found)} edges, no cycle, none upward)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
