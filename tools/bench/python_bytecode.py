"""Benchmark: Bytecode.from_code + to_code of every code object of large
stdlib modules, pyrewrite against the `bytecode` library, side by side in
one process on the running interpreter.

    VENV/bin/python tools/bench/python_bytecode.py [MODULE ...] [--iters N]

Both sides do the same: for every code object of the module (compiled from
its source outside the clock), from_code then to_code, each code object on
its own (nested code objects stay as they are in co_consts). The median of
N runs (default 5), garbage collector off inside a run. The line also says
how many code objects each side reproduced exactly (co_code, co_stacksize,
line table, exception table).

pyrewrite is timed twice: untouched (from_code then to_code, which gives
back the lifted code object itself: nothing to assemble) and touched (one
instruction's argument set to itself before to_code, so the whole list is
assembled and verified: the engine's real cost, and what an edited code
object pays).
"""

import os
import sys
import types

import bytecode

import pyrewrite

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytiming import timed  # noqa: E402

LINES = "co_lnotab" if sys.version_info < (3, 10) else "co_linetable"
FIELDS = ["co_code", "co_stacksize", LINES] + (["co_exceptiontable"] if sys.version_info >= (3, 11) else [])


def walk(code):
    yield code
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            yield from walk(k)


def main(argv):
    iters = 5
    if "--iters" in argv:
        i = argv.index("--iters")
        iters = int(argv[i + 1])
        del argv[i : i + 2]
    modules = argv or ["typing", "inspect"]
    print("CPython %s, pyrewrite %s, bytecode %s, median of %d runs" % (sys.version.split()[0], pyrewrite.__version__, bytecode.__version__, iters))
    print("| module | code objects | pyrewrite untouched (ms) | pyrewrite touched (ms) | exact | bytecode (ms) | exact | ratio untouched | ratio touched |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mod in modules:
        path = __import__(mod).__file__
        with open(path, "rb") as f:
            codes = list(walk(compile(f.read(), path, "exec", dont_inherit=True)))
        def touched(c):
            bc = pyrewrite.Bytecode.from_code(c)
            first = next(x for x in bc if isinstance(x, pyrewrite.Instr))
            first.arg = first.arg
            return bc.to_code()

        t_u, _ = timed(lambda: [pyrewrite.Bytecode.from_code(c).to_code() for c in codes], iters)
        t_p, out_p = timed(lambda: [touched(c) for c in codes], iters)
        t_b, out_b = timed(lambda: [bytecode.Bytecode.from_code(c).to_code() for c in codes], iters)

        def exact(out):
            return sum(all(getattr(n, f) == getattr(c, f) for f in FIELDS) for n, c in zip(out, codes))

        row = (mod, len(codes), t_u * 1e3, t_p * 1e3, exact(out_p), t_b * 1e3, exact(out_b), t_b / t_u, t_b / t_p)
        print("| %s | %d | %.1f | %.1f | %d | %.1f | %d | %.1fx | %.1fx |" % row)


if __name__ == "__main__":
    main(sys.argv[1:])
