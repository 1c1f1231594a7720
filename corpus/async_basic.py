# async def / await / async for / async with, driven by a hand-written loop
# (no asyncio: the same driver runs everywhere, pyodide included).
import types


class Sleep:
    """An awaitable that yields one message to the driver."""

    def __init__(self, tag):
        self.tag = tag

    def __await__(self):
        reply = yield ("sleep", self.tag)
        return reply


def run(coro):
    """Drive a coroutine to completion, answering every yield."""
    log = []
    value = None
    while True:
        try:
            msg = coro.send(value)
        except StopIteration as e:
            print("driver log", log)
            return e.value
        log.append(msg[1])
        value = "woke:" + str(msg[1])


async def child(n):
    r = await Sleep(n)
    return r + "!"


async def parent():
    results = []
    for i in range(3):
        results.append(await child(i))
    return results


print(run(parent()))


class Ticker:
    def __init__(self, n):
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n <= 0:
            raise StopAsyncIteration
        self.n -= 1
        await Sleep("tick%d" % self.n)
        return self.n


class Resource:
    async def __aenter__(self):
        await Sleep("enter")
        print("acquired")
        return self

    async def __aexit__(self, et, ev, tb):
        await Sleep("exit")
        print("released", et.__name__ if et else None)
        return et is KeyError


async def uses_async_for_and_with():
    out = []
    async for v in Ticker(3):
        out.append(v)
    else:
        out.append("else")
    async with Resource() as r:
        out.append(type(r).__name__)
    async with Resource():
        raise KeyError("suppressed")
    return out


print(run(uses_async_for_and_with()))


@types.coroutine
def legacy():
    x = yield ("sleep", "legacy")
    return x


async def uses_legacy():
    return await legacy()


print(run(uses_legacy()))


async def try_in_async():
    try:
        await Sleep("t1")
        raise ValueError("inside")
    except ValueError as e:
        await Sleep("t2")
        return "handled " + str(e)
    finally:
        print("async finally")


print(run(try_in_async()))
print(uses_async_for_and_with.__code__.co_flags & 0x80 != 0)
