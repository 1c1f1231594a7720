# Closures, cells, nonlocal and global.
counter_total = 0


def make_counter(start):
    count = start

    def inc(step=1):
        nonlocal count
        global counter_total
        count += step
        counter_total += step
        return count

    def get():
        return count

    return inc, get


inc, get = make_counter(10)
inc()
inc(5)
print("counter", get(), counter_total)


def outer():
    x = "outer-x"

    def middle():
        y = "middle-y"

        def inner():
            return x + "/" + y

        return inner

    return middle()


print(outer()())

adders = [lambda v, i=i: v + i for i in range(3)]
late = [lambda v: v + i for i in range(3)]
print([f(10) for f in adders], [f(10) for f in late])


def cell_in_loop():
    funcs = []
    for i in range(3):
        def f(i=i):
            return i * i
        funcs.append(f)
    return [g() for g in funcs]


print(cell_in_loop())


def shadow(a):
    def use_arg():
        return a * 2
    a = a + 1
    return use_arg()


print("shadow", shadow(4))


class Holder:
    value = "class-attr"

    def method(self):
        value = "local"

        def nested():
            return value
        return nested()


print(Holder().method())


def deep_nonlocal():
    a = 1

    def l1():
        def l2():
            nonlocal a
            a += 100
            return a
        return l2()
    l1()
    return a


print("deep", deep_nonlocal())
print(make_counter.__code__.co_cellvars, inc.__code__.co_freevars)
