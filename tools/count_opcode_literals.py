#!/usr/bin/env python3
"""Count opcode-name string literals and version checks in src/ (issue 9).

Usage: python3 tools/count_opcode_literals.py [--list] [--max-literals N] [--max-checks N]

Scans every `src/**/*.rs` except the generated tables (`src/opcodes/v3_*.rs`)
and test code (files named `tests.rs`, and everything from a `#[cfg(test)]`
line that opens a `mod` to the end of the file: the repository keeps unit
test modules last).

- An *opcode-name literal* is a Rust string literal whose whole text is the
  name of an opcode of any generated table (e.g. `"CALL"`).
- A *version check* is an occurrence of `at_least(` or `.minor`.

Prints both totals and the per-file counts; `--list` also prints every hit
with its line. With `--max-literals` / `--max-checks` exits 1 when a total
is above the bound (for CI).
"""

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME_RE = re.compile(r'name: "([A-Z0-9_]+)"')
VARIANT_RE = re.compile(r'^\s*([A-Z][A-Za-z0-9]*)\s*=\s*\d+,\s*//\s*([A-Z0-9_]+)')
LIT_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
CHECK_RE = re.compile(r'at_least\(|\.minor\b')


def opcode_names():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "src", "opcodes", "v3_*.rs")):
        with open(path, encoding="utf-8") as fh:
            names.update(NAME_RE.findall(fh.read()))
    gen = os.path.join(ROOT, "src", "opcodes", "opcode.rs")
    if os.path.exists(gen):
        with open(gen, encoding="utf-8") as fh:
            names.update(re.findall(r'"([A-Z][A-Z0-9_]+)"', fh.read()))
    return names


def is_generated(rel):
    base = os.path.basename(rel)
    return rel.startswith(os.path.join("src", "opcodes") + os.sep) and (
        re.fullmatch(r"v3_\d+\.rs", base) or base == "opcode.rs")


def code_lines(path):
    """(line number, text) of the non-test lines of one file."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "#[cfg(test)]":
            nxt = next((l for l in lines[i + 1:] if l.strip()), "")
            if re.match(r"\s*(pub(\(\w+\))?\s+)?mod\s", nxt):
                break
        out.append((i + 1, lines[i]))
        i += 1
    return out


def strip_comment(line):
    # NB: good enough for this code base: no `//` inside the counted literals.
    in_str = False
    esc = False
    for i, ch in enumerate(line):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif line.startswith("//", i):
            return line[:i]
    return line


def main(argv):
    names = opcode_names()
    show = "--list" in argv
    lits, checks = {}, {}
    hits = []
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "**", "*.rs"), recursive=True)):
        rel = os.path.relpath(path, ROOT)
        if is_generated(rel) or os.path.basename(rel) == "tests.rs":
            continue
        for no, line in code_lines(path):
            code = strip_comment(line)
            n = sum(1 for s in LIT_RE.findall(code) if s in names)
            c = len(CHECK_RE.findall(code))
            if n:
                lits[rel] = lits.get(rel, 0) + n
                hits.append(("literal", rel, no, line.strip()))
            if c:
                checks[rel] = checks.get(rel, 0) + c
                hits.append(("version", rel, no, line.strip()))
    total_l, total_c = sum(lits.values()), sum(checks.values())
    for rel in sorted(set(lits) | set(checks)):
        print("%4d %4d  %s" % (lits.get(rel, 0), checks.get(rel, 0), rel))
    print("%4d %4d  total (opcode-name literals, version checks) in %d files"
          % (total_l, total_c, len(set(lits) | set(checks))))
    if show:
        for kind, rel, no, text in hits:
            print("%s %s:%d: %s" % (kind, rel, no, text))
    bad = False
    for flag, total in (("--max-literals", total_l), ("--max-checks", total_c)):
        if flag in argv:
            bound = int(argv[argv.index(flag) + 1])
            if total > bound:
                print("count_opcode_literals: %s %d > %d" % (flag[6:], total, bound), file=sys.stderr)
                bad = True
    return 1 if bad else 0


sys.exit(main(sys.argv[1:]))
