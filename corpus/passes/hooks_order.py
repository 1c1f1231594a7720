# Target of the inject-hook tests: every kind of code object entry, printed
# as "enter: QUALNAME" by a profile function the moment CPython starts
# running that frame for the first time (the 'call' event; for generators,
# coroutines and async generators that is the first resumption). The
# qualified name comes from the live function/generator object's
# __qualname__. An instrumented copy must print "hook: QUALNAME" right
# after each "enter:" line and nowhere else, and everything else unchanged
# (tracebacks and line numbers included).
import gc
import sys

MODULE_FILE = sys._getframe().f_code.co_filename

# NB: compiled at run time, so an instrumented .pyc of this file does not
# hook the profiler itself.
PROFILER = '''
def profile(frame, event, arg):
    if event != "call" or frame.f_code.co_filename != MODULE_FILE:
        return
    code = frame.f_code
    if not code.co_flags & 0x2:  # CO_NEWLOCALS: skip module and class bodies
        return
    for f in SEEN:
        if f is frame:
            return
    SEEN.append(frame)
    print("enter:", qualname_of(code, frame))


def qualname_of(code, frame):
    for r in gc.get_referrers(code):
        for attr in ("__code__", "gi_code", "cr_code", "ag_code"):
            if getattr(r, attr, None) is code and isinstance(getattr(r, "__qualname__", None), str):
                return r.__qualname__
    for r in gc.get_referrers(frame):
        for attr in ("gi_frame", "cr_frame", "ag_frame"):
            if getattr(r, attr, None) is frame:
                return r.__qualname__
    return "?" + code.co_name
'''
profiler_ns = {"MODULE_FILE": MODULE_FILE, "SEEN": [], "gc": gc, "print": print}
exec(compile(PROFILER, "<profiler>", "exec"), profiler_ns)
sys.setprofile(profiler_ns["profile"])


def plain(a, b=2):
    return a + b


def closure_maker(n):
    def inner(x):
        return x * n
    return inner


def loop_first(n):
    while n > 0:
        n -= 1
    return n


def try_first():
    try:
        return int("nope")
    except ValueError:
        return "caught"


def deco(fn):
    def wrapper(*args):
        return fn(*args) + 1
    return wrapper


@deco
def decorated(x):
    return x


class Shape:
    kind = "shape"

    def __init__(self, size):
        self.size = size

    def area(self):
        return self.size * self.size

    @staticmethod
    def unit():
        return Shape(1)

    @classmethod
    def named(cls):
        return cls.kind

    class Inner:
        def method(self):
            return "inner"


def gen(n):
    for i in range(n):
        yield i


def delegating():
    yield from gen(2)
    yield "done"


async def coro(x):
    return x * 2


async def agen(n):
    for i in range(n):
        yield i


def comprehensions(xs):
    a = [x + 1 for x in xs]
    b = {x % 2 for x in xs}
    c = {x: x * x for x in xs}
    d = sum(x for x in xs)
    return a, sorted(b), c, d


def recurse(n):
    return 0 if n == 0 else 1 + recurse(n - 1)


def fails(x):
    y = x + 1
    return helper_fails(y)


def helper_fails(y):
    z = [y]
    return z[5]


def line_here():
    return sys._getframe().f_lineno


print("plain", plain(1))
print("closure", closure_maker(3)(4))
print("loop_first", loop_first(3))
print("try_first", try_first())
print("decorated", decorated(41))
s = Shape(3)
print("area", s.area(), Shape.unit().area(), Shape.named(), Shape.Inner().method())
g = gen(3)
print("created gen")
print("first", next(g))
print("rest", list(g))
print("delegating", list(delegating()))
c = coro(21)
print("created coro")
try:
    c.send(None)
except StopIteration as e:
    print("coro value", e.value)
ag = agen(2)
print("created agen")
step = ag.__anext__()
print("created step")
try:
    step.send(None)
except StopIteration as e:
    print("agen first", e.value)
ag2 = agen(0)
try:
    ag2.__anext__().send(None)
except StopAsyncIteration:
    print("agen empty")
print("lambda", (lambda v, w=1: v - w)(10))
print("comprehensions", comprehensions([1, 2, 3]))
print("recurse", recurse(3))
print("line", line_here(), line_here.__code__.co_firstlineno)
try:
    fails(1)
except IndexError as e:
    tb = e.__traceback__
    lines = []
    while tb is not None:
        lines.append((tb.tb_frame.f_code.co_name, tb.tb_lineno))
        tb = tb.tb_next
    print("traceback", lines)

sys.setprofile(None)
print("end")
