"""A small script written for the `bytecode` library (its API only): a call
tracer that inserts `print(name)` at the entry of functions, a conditional
built with labels, and a constant rewriter. tests/python/test_ported.py runs
it once as written and once with only the import line changed to pyrewrite,
and compares the output. Written for CPython 3.8-3.10 opcodes."""

from bytecode import Bytecode, Compare, Instr, Label  # the one line a port changes


def traced(func):
    code = Bytecode.from_code(func.__code__)
    code[0:0] = [
        Instr("LOAD_GLOBAL", "print"),
        Instr("LOAD_CONST", "enter " + func.__name__),
        Instr("CALL_FUNCTION", 1),
        Instr("POP_TOP"),
    ]
    func.__code__ = code.to_code()
    return func


@traced
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def sign_of():
    neg, done = Label(), Label()
    b = Bytecode(
        [
            Instr("LOAD_FAST", "x"),
            Instr("LOAD_CONST", 0),
            Instr("COMPARE_OP", Compare.LT),
            Instr("POP_JUMP_IF_TRUE", neg),
            Instr("LOAD_CONST", "non-negative"),
            Instr("JUMP_FORWARD", done),
            neg,
            Instr("LOAD_CONST", "negative"),
            done,
            Instr("RETURN_VALUE"),
        ]
    )
    b.argcount = 1
    b.argnames = ["x"]
    b.name = "sign"
    b.flags = 0x43  # OPTIMIZED | NEWLOCALS | NOFREE
    import types

    return types.FunctionType(b.to_code(), {})


def times_ten(func):
    code = Bytecode.from_code(func.__code__)
    for instr in code:
        if isinstance(instr, Instr) and instr.name == "LOAD_CONST" and isinstance(instr.arg, int):
            instr.arg *= 10
    func.__code__ = code.to_code()
    return func


@times_ten
def scaled(x):
    return x * 3 + 1


print(fib(4))
sign = sign_of()
print(sign(-2), sign(0), sign(5))
print(scaled(2))
print(fib.__code__.co_stacksize >= 2, sign.__code__.co_stacksize)
