#!/usr/bin/env python3
"""Function sizes in the workspace's non-test Rust code.

    ops/fn-sizes.py [--top N] [ROOT]

Counts, for every `fn` with a body, the lines from its `fn` line to its closing
brace (both included), in the library and binary code of node/, cluster/, geo/
and simulations/. Left out: test code (files under a `tests/` folder, files
named `tests.rs`, `#[cfg(test)]` modules), the black-box tests crate (tests/),
fuzz targets, and target/. Prints the number of files and functions, the
median, 90th and 99th percentiles, and the longest functions.

The scan is lexical (comments, strings, raw strings and char literals are
blanked before braces are matched), which is enough for rustfmt-formatted code;
it is how the figures in docs/ARCHITECTURE.md were taken, before and after.
"""

import os
import re
import sys

CRATE_DIRS = ["node", "cluster", "geo", "simulations"]
SKIP_DIRS = {"target", "tests", "fuzz", ".git"}

FN_RE = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:default\s+)?(?:const\s+)?(?:async\s+)?"
    r"(?:unsafe\s+)?(?:extern\s+\"[^\"]*\"\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)"
)


def blank(src):
    """The source with comments and literals replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', src[i:i + 300])) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "'" and (m := re.match(r"'(\\(x..|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", src[i:i + 12])):
            out.append(" " * m.end())
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_module_lines(lines):
    """Line numbers inside `#[cfg(test)]` items."""
    skip = set()
    i = 0
    while i < len(lines):
        if re.match(r"\s*#\[cfg\(test\)\]", lines[i]):
            depth, j, opened = 0, i, False
            while j < len(lines):
                depth += lines[j].count("{") - lines[j].count("}")
                opened = opened or "{" in lines[j]
                if (opened and depth <= 0) or (not opened and lines[j].rstrip().endswith(";")):
                    break
                j += 1
            skip.update(range(i, j + 1))
            i = j + 1
        else:
            i += 1
    return skip


def functions(path):
    """(name, first line, length) for each fn with a body in `path`."""
    with open(path, encoding="utf-8") as f:
        lines = blank(f.read()).split("\n")
    skip = test_module_lines(lines)
    found = []
    for i, line in enumerate(lines):
        if i in skip or not (m := FN_RE.match(line)):
            continue
        depth, j, opened = 0, i, False
        while j < len(lines):
            text = lines[j]
            if not opened and ";" in text and "{" not in text and depth == 0:
                # A declaration without a body (trait method, extern).
                if text.rstrip().endswith(";"):
                    break
            for ch in text:
                if ch == "{":
                    depth, opened = depth + 1, True
                elif ch == "}":
                    depth -= 1
            if opened and depth <= 0:
                found.append((m.group(1), i + 1, j - i + 1))
                break
            j += 1
    return found


def source_files(root):
    for crate in CRATE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, crate)):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith(".rs") and name != "tests.rs":
                    yield os.path.join(dirpath, name)


def percentile(sorted_values, p):
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def main(argv):
    top = 12
    if "--top" in argv:
        k = argv.index("--top")
        top = int(argv[k + 1])
        del argv[k:k + 2]
    root = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    rows, files = [], 0
    for path in source_files(root):
        files += 1
        rel = os.path.relpath(path, root)
        rows += [(length, rel, line, name) for name, line, length in functions(path)]
    sizes = sorted(r[0] for r in rows)
    print(f"files {files}  functions {len(sizes)}")
    print(f"median {percentile(sizes, 50)}  p90 {percentile(sizes, 90)}  p99 {percentile(sizes, 99)}  max {sizes[-1]}")
    print(f"longest {top}:")
    for length, rel, line, name in sorted(rows, reverse=True)[:top]:
        print(f"  {length:4}  {rel}:{line}  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
