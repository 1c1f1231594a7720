"""Every kind of function the wrap pass must handle (tests/passes_wrap.rs)."""
import sys
import traceback

import wrap_hooks as H
import wrap_switch


def add(a, b):
    return a + b


def boom(x):
    raise ValueError(x)


def catches():
    try:
        boom(1)
    except ValueError:
        return "caught"


def gen(n):
    for i in range(n):
        yield i
    return "done"


def closed_gen():
    yield 1
    yield 2


class Base:
    def who(self):
        return "base"


class C(Base):
    def who(self):
        return "c+" + super().who()


def outer():
    y = 1

    def inner(z):
        return y + z

    return inner(2)


def rec(n):
    return 1 if n <= 1 else n * rec(n - 1)


def loop_first(n):
    while n:
        n -= 1
    return n


class Pause:
    def __await__(self):
        yield "paused"


async def coro(x):
    await Pause()
    return x * 2


async def agen():
    yield 1
    await Pause()
    yield 2


async def use_agen():
    return [x async for x in agen()]


def drive(c):
    """Runs a coroutine to its end without an event loop."""
    try:
        while True:
            c.send(None)
    except StopIteration as e:
        return e.value


def quits():
    sys.exit(3)


def interrupted():
    raise KeyboardInterrupt


def main():
    print(add(1, 2))
    try:
        boom("x")
    except ValueError as e:
        tb = traceback.extract_tb(e.__traceback__)
        print("tb", [(f.name, f.lineno, f.line) for f in tb])
    print(catches())
    print(list(gen(2)))
    g = closed_gen()
    next(g)
    g.close()
    print(C().who())
    print(outer())
    print(rec(3))
    print(loop_first(3))
    print(drive(coro(4)))
    print(drive(use_agen()))
    try:
        quits()
    except SystemExit as e:
        print("exit", e.code)
    try:
        interrupted()
    except KeyboardInterrupt:
        print("interrupted")
    wrap_switch.set(False)
    print(add(5, 6), list(gen(1)), rec(2))
    try:
        boom(2)
    except ValueError:
        print("boom while off")
    wrap_switch.set(True)
    print(add(7, 8))
    for e in H.EVENTS:
        print("event", *e)


main()
