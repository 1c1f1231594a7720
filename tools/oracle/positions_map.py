"""Per-instruction locations, jump targets and handlers of every code object
in some .pyc files, as the running interpreter's `dis` sees them.

    python3.X tools/oracle/positions_map.py FILE.pyc ... | @LISTFILE

Writes one JSON object per code object to stdout, code objects in pre-order
over `co_consts` (the module first, then each nested code object before its
siblings' children), the same order as `Marshal::code_objects`:

    {"file": path, "index": k, "name": co_name, "firstlineno": n,
     "instrs": [[offset, opname, arg, jump, loc, handler], ...],
     "linestarts": [line, ...], "exc": n}

`instrs` leaves out EXTENDED_ARG (prefixes belong to the instruction after
them; a rewrite may add some) and inline caches. For each instruction:
`offset` is the opcode's own byte offset; `arg` a text form of
`dis`'s argval (code objects as `<code NAME line>`, so that two loads of
one file give the same text) or null for jumps; `jump` the target offset
(`argval`) for an opcode in `dis.hasjrel`/`hasjabs`/`hasjump`, else null;
`loc` is `[line, end_line, col, end_col]`: on 3.11+ `Instruction.positions`
(from `co_positions()`), on 3.10 the line of the `co_lines()` range holding
the offset, on 3.8/3.9 the line of the last `dis.findlinestarts` entry at
or before it (unknowns are null); `handler` is `[target, depth, lasti]` of
the `dis._parse_exception_table` entry covering the offset (3.11+) or null.
`linestarts` is the list of lines of `dis.findlinestarts` (None included,
as 3.13+ lists it). `exc` counts exception-table entries.
Runs unchanged on 3.8..3.14 (3.14 through tools/pyodide/run.mjs).
"""
import bisect
import dis
import json
import marshal
import sys
import types

V = sys.version_info[:2]
JUMPS = set(dis.hasjrel) | set(dis.hasjabs) | set(getattr(dis, "hasjump", ()))


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    # NB: the header is 16 bytes on every version this tool targets (3.7+).
    return marshal.loads(data[16:])


def walk(code):
    yield code
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            yield from walk(k)


def text(v):
    if isinstance(v, types.CodeType):
        return "<code %s %d>" % (v.co_name, v.co_firstlineno)
    return repr(v)


def line_of(co, starts):
    """offset -> [line, None, None, None] for 3.8-3.10."""
    if V >= (3, 10):
        ranges = [r for r in co.co_lines() if r[0] < r[1]]
    else:
        ends = [o for o, _ in starts[1:]] + [len(co.co_code)]
        ranges = [(o, e, l) for (o, l), e in zip(starts, ends)]
    firsts = [r[0] for r in ranges]

    def f(off):
        i = bisect.bisect_right(firsts, off) - 1
        if i >= 0 and ranges[i][0] <= off < ranges[i][1]:
            return [ranges[i][2], None, None, None]
        return [None, None, None, None]

    return f


def record(path, k, co):
    starts = list(dis.findlinestarts(co))
    old_loc = None if V >= (3, 11) else line_of(co, starts)
    exc = dis._parse_exception_table(co) if V >= (3, 11) else []
    instrs = []
    for ins in dis.get_instructions(co):
        if ins.opname == "EXTENDED_ARG":
            continue
        if old_loc is None:
            p = ins.positions
            loc = [p.lineno, p.end_lineno, p.col_offset, p.end_col_offset]
        else:
            loc = old_loc(ins.offset)
        handler = None
        for e in exc:
            if e.start <= ins.offset < e.end:
                handler = [e.target, e.depth, bool(e.lasti)]
                break
        if ins.opcode in JUMPS:
            jump, arg = ins.argval, None
        else:
            jump, arg = None, text(ins.argval)
        instrs.append([ins.offset, ins.opname, arg, jump, loc, handler])
    return {
        "file": path,
        "index": k,
        "name": co.co_name,
        "firstlineno": co.co_firstlineno,
        "instrs": instrs,
        "linestarts": [line for _, line in starts],
        "exc": len(exc),
    }


def main(args):
    paths = []
    for a in args:
        if a.startswith("@"):
            with open(a[1:], encoding="utf-8") as f:
                paths.extend(line.rstrip("\n") for line in f if line.strip())
        else:
            paths.append(a)
    w = sys.stdout.write
    for path in paths:
        for k, co in enumerate(walk(load(path))):
            w(json.dumps(record(path, k, co)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
