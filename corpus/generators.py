# Generators: yield, yield from, send, throw, close, return values.


def countdown(n):
    while n > 0:
        got = yield n
        if got is not None:
            n = got
        else:
            n -= 1
    return "done"


g = countdown(5)
print(next(g), next(g), g.send(10), next(g))
print(list(countdown(3)))


def delegator():
    result = yield from countdown(2)
    print("delegated result", result)
    yield from [100, 200]
    yield from (c for c in "ab")
    return result


print(list(delegator()))


def catcher():
    try:
        while True:
            try:
                yield "waiting"
            except ValueError as e:
                print("caught", e)
                yield "recovered"
    finally:
        print("generator finalised")


c = catcher()
print(next(c))
print(c.throw(ValueError("boom")))
print(next(c))
c.close()


def gen_with_return():
    yield 1
    return 42


it = gen_with_return()
next(it)
try:
    next(it)
except StopIteration as e:
    print("StopIteration value", e.value)

squares = (x * x for x in range(6) if x % 2)
print(sum(squares))


def fib():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b


import itertools

print(list(itertools.islice(fib(), 12)))


def nested_gen():
    def inner():
        x = yield 1
        yield x * 2
    i = inner()
    yield next(i)
    yield i.send(21)


print(list(nested_gen()))
print(countdown.__code__.co_flags & 0x20 != 0)
