"""``Bytecode.from_code(c).to_code()`` reproduces ``co_code``,
``co_stacksize``, the line table and the exception table of every code
object of the host's standard library (Lib/test included), through the
assembler: each list is touched first (an untouched list gives back the
code object itself, which proves nothing)."""

import sys
import types

from pyrewrite.bytecode import Bytecode, Instr
from test_dis_stdlib import compiled_stdlib

LINES = "co_lnotab" if sys.version_info < (3, 10) else "co_linetable"
FIELDS = ["co_code", "co_stacksize", LINES] + (["co_exceptiontable"] if sys.version_info >= (3, 11) else [])


def walk(code):
    yield code
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            yield from walk(k)


def touch(bc):
    """Sets an instruction's argument to itself: nothing changes, but the
    list is no longer as lifted."""
    first = next(x for x in bc if isinstance(x, Instr))
    first.arg = first.arg


def test_round_trip_of_every_stdlib_code_object():
    total = 0
    differ = []
    for path, module in compiled_stdlib():
        for code in walk(module):
            total += 1
            try:
                bc = Bytecode.from_code(code)
                touch(bc)
                new = bc.to_code()
                assert new is not code
                bad = [f for f in FIELDS if getattr(new, f) != getattr(code, f)]
            except Exception as e:  # noqa: BLE001 - every failure is listed
                bad = ["%s: %s" % (type(e).__name__, str(e).splitlines()[0])]
            if bad:
                differ.append((path, code.co_name, code.co_firstlineno, bad))
    rate = 1 - len(differ) / total
    print("bytecode round trip: %d code objects, %d differ (%.4f%% identical)" % (total, len(differ), 100 * rate))
    for d in differ:
        print("  %s:%d %s: %s" % (d[0], d[2], d[1], ", ".join(d[3])))
    assert total > 10000
    assert rate >= 0.999
