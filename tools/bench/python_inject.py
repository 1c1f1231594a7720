"""In-process benchmark: inject an entry hook into every function of large
stdlib modules, pyrewrite against the `bytecode` library, side by side in
one process on the running interpreter.

    VENV/bin/python tools/bench/python_inject.py [MODULE ...] [--iters N]

Both sides start from the module's code object compiled from its source
(outside the clock) and produce a new module code object in which every
function-like code object calls `hook(qualname)` before its body:
  pyrewrite  pyrewrite.rewrite(code, pipeline) with inject-hook (the
             pipeline built once, outside the clock; the module body also
             gets the hook's import, which the other side does not do)
  bytecode   for every code object, Bytecode.from_code, the call inserted
             where the body starts (after RESUME on 3.11+, GEN_START on
             3.10), .to_code(), nested code objects replaced in their parent
Each side's output is executed once (the module body run in a fresh
namespace, with the hook bound) to check it is valid; the timings are the
median of N runs (default 7) with the garbage collector off.
"""

import os
import sys
import types

import bytecode
from bytecode import Bytecode, Instr

import pyrewrite

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytiming import timed  # noqa: E402

V = sys.version_info[:2]
CO_NEWLOCALS = 0x2
CALLS = []


def hook(qualname):
    CALLS.append(qualname)


def hook_instrs(qualname, lineno):
    """The call `hook(qualname)` for this version, as `bytecode` spells it."""
    kw = {"lineno": lineno}
    if V >= (3, 12):
        pre = [Instr("LOAD_GLOBAL", (True, "__pyrewrite_hook__"), **kw)]
        call = [Instr("CALL", 1, **kw)]
    elif V == (3, 11):
        pre = [Instr("LOAD_GLOBAL", (True, "__pyrewrite_hook__"), **kw)]
        call = [Instr("PRECALL", 1, **kw), Instr("CALL", 1, **kw)]
    else:
        pre = [Instr("LOAD_GLOBAL", "__pyrewrite_hook__", **kw)]
        call = [Instr("CALL_FUNCTION", 1, **kw)]
    return pre + [Instr("LOAD_CONST", qualname, **kw)] + call + [Instr("POP_TOP", **kw)]


def entry_index(b):
    """Where the body starts: after RESUME (3.11+) or GEN_START (3.10)."""
    for i, ins in enumerate(b):
        name = getattr(ins, "name", None)
        if name in ("RESUME", "GEN_START"):
            return i + 1
    for i, ins in enumerate(b):
        if isinstance(ins, Instr):
            return i
    return 0


def with_bytecode(code, qualname="<module>"):
    b = Bytecode.from_code(code)
    for ins in b:
        arg = getattr(ins, "arg", None)
        if type(arg) is types.CodeType:
            q = getattr(arg, "co_qualname", arg.co_name)
            ins.arg = with_bytecode(arg, q)
    if code.co_flags & CO_NEWLOCALS:
        at = entry_index(b)
        b[at:at] = hook_instrs(getattr(code, "co_qualname", code.co_name), code.co_firstlineno)
    return b.to_code()


def count_functions(code):
    n = 1 if code.co_flags & CO_NEWLOCALS else 0
    return n + sum(count_functions(k) for k in code.co_consts if type(k) is types.CodeType)


def runs(code, name):
    """Executes a module body in a fresh namespace, with the hook bound."""
    ns = {"__name__": name + "_bench", "__pyrewrite_hook__": hook}
    exec(code, ns)


def main(argv):
    iters = 7
    if "--iters" in argv:
        i = argv.index("--iters")
        iters = int(argv[i + 1])
        del argv[i : i + 2]
    modules = argv or ["typing", "inspect"]
    pipeline = pyrewrite.Pipeline([("inject-hook", {"hook": "pyrewrite.hooks:count"})])
    print("CPython %s, pyrewrite %s, bytecode %s, median of %d runs" % (sys.version.split()[0], pyrewrite.__version__, bytecode.__version__, iters))
    print("| module | functions | pyrewrite (ms) | bytecode (ms) | ratio |")
    print("|---|---|---|---|---|")
    for mod in modules:
        path = __import__(mod).__file__
        with open(path, "rb") as f:
            code = compile(f.read(), path, "exec", dont_inherit=True)
        t_p, out_p = timed(lambda: pipeline.rewrite(code), iters)
        t_b, out_b = timed(lambda: with_bytecode(code), iters)
        runs(out_p, mod)
        runs(out_b, mod)
        print("| %s | %d | %.2f | %.2f | %.0fx |" % (mod, count_functions(code), t_p * 1e3, t_b * 1e3, t_b / t_p))


if __name__ == "__main__":
    main(sys.argv[1:])
