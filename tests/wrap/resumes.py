"""Suspensions and resumptions as events (tests/passes_wrap.rs, resumes = true)."""
import wrap_hooks as H


def gen(n):
    for i in range(n):
        got = yield i
        if got:
            print("got", got)
    return "done"


class Pause:
    def __await__(self):
        yield "paused"


async def coro():
    await Pause()
    return 1


g = gen(3)
print(next(g), g.send("x"), next(g))
try:
    next(g)
except StopIteration as e:
    print("stop", e.value)
c = coro()
print(c.send(None))
try:
    c.send(None)
except StopIteration as e:
    print("stop", e.value)
for e in H.EVENTS:
    print("event", *e)
