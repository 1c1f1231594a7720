# Async generators, asend/athrow/aclose, async comprehensions; manual driver.


class Sleep:
    def __await__(self):
        return (yield "sleep")


def run(coro):
    value = None
    while True:
        try:
            coro.send(value)
        except StopIteration as e:
            return e.value
        value = None


async def agen(n):
    for i in range(n):
        await Sleep()
        got = yield i
        if got:
            print("agen received", got)
    print("agen exhausted")


async def consume():
    out = [v async for v in agen(4)]
    evens = [v async for v in agen(6) if v % 2 == 0]
    squares = {v: v * v async for v in agen(3)}
    awaited = [await x for x in [ident(1), ident(2)]]
    return out, evens, squares, awaited


async def ident(x):
    await Sleep()
    return x


print(run(consume()))


async def manual():
    g = agen(5)
    first = await g.__anext__()
    second = await g.asend("hello")
    try:
        await g.athrow(RuntimeError("stop"))
    except RuntimeError as e:
        print("athrow propagated", e)
    return first, second


print(run(manual()))


async def closing():
    log = []

    async def guarded():
        try:
            yield 1
            yield 2
        finally:
            log.append("cleanup")

    g = guarded()
    log.append(await g.__anext__())
    await g.aclose()
    return log


print(run(closing()))


async def gen_expr():
    ge = (i * 10 async for i in agen(3))
    return [x async for x in ge]


print(run(gen_expr()))
print(agen.__code__.co_flags & 0x200 != 0)
