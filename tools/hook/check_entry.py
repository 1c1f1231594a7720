"""Compare original and inject-hook-instrumented .pyc files as CPython sees them.

    python3.X check_entry.py GLOBAL HOOKMODULE ORIG.pyc NEW.pyc [ORIG NEW ...] | @LISTFILE

For every code object (walked in parallel through co_consts) the
instrumented one must be the original plus exactly one injected run:
  module code:  LOAD_CONST 0, LOAD_CONST (fn,), IMPORT_NAME HOOKMODULE,
                IMPORT_FROM fn, STORE_GLOBAL GLOBAL, POP_TOP
  function:     LOAD_GLOBAL GLOBAL, LOAD_CONST..., [PRECALL], CALL..., POP_TOP
and with that run removed every instruction must have the same opcode,
argument (jumps: the same target instruction), line (co_lines / lnotab),
position (co_positions, 3.11+) and exception handler (3.11+ exception
table: same target instruction, depth, lasti). The injected run must have
no line on 3.10+ (3.8/3.9: the line of the instruction after it).
Prints one line per file pair, "ok N" or "FAIL reason", and a summary line
"checked N code objects, M hooked"; exit status 1 when something failed.
"""

import dis
import marshal
import re
import sys
import types

HEADER = 16
JUMPS = set(dis.hasjrel) | set(dis.hasjabs) | set(getattr(dis, "hasjump", ()))


def load(path):
    with open(path, "rb") as f:
        return marshal.loads(f.read()[HEADER:])


def line_map(co):
    """Byte offset -> line (None: no line)."""
    out = {}
    if hasattr(co, "co_lines"):
        for start, end, line in co.co_lines():
            for o in range(start, end, 2):
                out[o] = line
        return out
    starts = dict(dis.findlinestarts(co))
    line = co.co_firstlineno
    for o in range(0, len(co.co_code), 2):
        line = starts.get(o, line)
        out[o] = line
    return out


def handlers(co):
    """Byte offset -> (target offset, depth, lasti) from the exception table."""
    out = {}
    parse = getattr(dis, "_parse_exception_table", None)
    if parse is None or not hasattr(co, "co_exceptiontable"):
        return out
    for e in parse(co):
        for o in range(e.start, e.end, 2):
            out[o] = (e.target, e.depth, e.lasti)
    return out


def instructions(co):
    lines = line_map(co)
    hs = handlers(co)
    raw = [i for i in dis.get_instructions(co) if i.opname not in ("EXTENDED_ARG", "CACHE")]
    return raw, lines, hs


def describe(raw, lines, hs, keep):
    """One comparable tuple per kept instruction; targets as kept-indices."""
    index = {}
    for n, k in enumerate(keep):
        index[raw[k].offset] = n
    # NB: a jump or handler may target the first prefix of an instruction
    starts = sorted(index)

    def target_index(off):
        for s in starts:
            if s >= off:
                return index[s]
        return None

    out = []
    for k in keep:
        i = raw[k]
        if i.opcode in JUMPS:
            arg = ("jump", target_index(i.argval))
        else:
            # NB: code object reprs carry addresses
            arg = re.sub(r" at 0x[0-9a-fA-F]+", "", i.argrepr)
        pos = getattr(i, "positions", None)
        pos = tuple(pos) if pos is not None else None
        h = hs.get(i.offset)
        if h is not None:
            h = (target_index(h[0]), h[1], h[2])
        out.append((i.opname, arg, lines.get(i.offset), pos, h))
    return out


def injected_run(raw, is_module, glob, hookmod):
    """(first, last) indices of the injected run, or a reason string."""
    if is_module:
        for k, i in enumerate(raw):
            if i.opname == "STORE_GLOBAL" and i.argval == glob:
                if k < 4 or raw[k - 2].opname != "IMPORT_NAME" or raw[k - 2].argval != hookmod:
                    return "module prologue does not import %s" % hookmod
                return (k - 4, k + 1)
        return "no STORE_GLOBAL %s in module code" % glob
    for k, i in enumerate(raw):
        if i.opname == "LOAD_GLOBAL" and i.argval == glob:
            for j in range(k + 1, len(raw)):
                if raw[j].opname == "POP_TOP":
                    return (k, j)
            return "no POP_TOP after the hook call"
    return None


def compare(orig, new, glob, hookmod, is_module, path, stats):
    if type(orig) is not type(new):
        return "%s: different types" % path
    if not isinstance(orig, types.CodeType):
        return None
    where = "%s (%s)" % (path, orig.co_name)
    o_raw, o_lines, o_hs = instructions(orig)
    n_raw, n_lines, n_hs = instructions(new)
    run = injected_run(n_raw, is_module, glob, hookmod)
    if isinstance(run, str):
        return "%s: %s" % (where, run)
    keep = list(range(len(n_raw)))
    if run is not None:
        stats["hooked"] += 1
        first, last = run
        keep = keep[:first] + keep[last + 1:]
        for k in range(first, last + 1):
            ins = n_raw[k]
            line = n_lines.get(ins.offset)
            if sys.version_info >= (3, 10):
                if line is not None:
                    return "%s: injected %s has line %s" % (where, ins.opname, line)
                pos = getattr(ins, "positions", None)
                if pos is not None and any(x is not None for x in pos):
                    return "%s: injected %s has position %s" % (where, ins.opname, tuple(pos))
            elif last + 1 < len(n_raw) and line != n_lines.get(n_raw[last + 1].offset):
                return "%s: injected %s on line %s, next instruction on another" % (where, ins.opname, line)
    a = describe(o_raw, o_lines, o_hs, list(range(len(o_raw))))
    b = describe(n_raw, n_lines, n_hs, keep)
    if a != b:
        for n, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return "%s: instruction %d differs:\n  orig %r\n  new  %r" % (where, n, x, y)
        return "%s: %d instructions, was %d" % (where, len(b), len(a))
    for attr in ("co_firstlineno", "co_name", "co_flags", "co_argcount", "co_varnames", "co_freevars", "co_cellvars"):
        if getattr(orig, attr) != getattr(new, attr):
            return "%s: %s differs" % (where, attr)
    stats["code"] += 1
    oc = [c for c in orig.co_consts if isinstance(c, types.CodeType)]
    nc = [c for c in new.co_consts if isinstance(c, types.CodeType)]
    if len(oc) != len(nc):
        return "%s: %d nested code objects, was %d" % (where, len(nc), len(oc))
    for x, y in zip(oc, nc):
        err = compare(x, y, glob, hookmod, False, path, stats)
        if err:
            return err
    return None


def main(argv):
    glob, hookmod = argv[0], argv[1]
    rest = argv[2:]
    if len(rest) == 1 and rest[0].startswith("@"):
        with open(rest[0][1:], encoding="utf-8") as f:
            rest = f.read().split()
    stats = {"code": 0, "hooked": 0}
    failed = 0
    for k in range(0, len(rest), 2):
        o, n = rest[k], rest[k + 1]
        err = compare(load(o), load(n), glob, hookmod, True, n, stats)
        if err:
            failed += 1
            print("FAIL " + err)
        else:
            print("ok " + n)
    print("checked %d code objects, %d hooked, %d file(s) failed" % (stats["code"], stats["hooked"], failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
