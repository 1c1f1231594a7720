# Star-unpacking in assignments, displays and calls; nested targets; swaps.
a, *b, c = range(6)
print(a, b, c)
*init, last = "hello"
print(init, last)
(x, y), [z, *w] = (1, 2), [3, 4, 5]
print(x, y, z, w)
x, y = y, x
print(x, y)
first, = [42]
print(first)
merged = [*range(3), *"ab", 9]
tup = (*merged, *())
st = sorted({*[1, 2], *(2, 3)})
dct = {**{"a": 1}, "b": 2, **dict(c=3)}
print(merged, tup, st, dct)


def f(*args, **kwargs):
    return args, sorted(kwargs.items())


print(f(*[1, 2], 3, *(4,), k=1, **{"m": 2}, **{"n": 3}))
for i, (j, *k) in enumerate([(1, 2, 3), (4,)]):
    print(i, j, k)
q = r = s = 7
print(q + r + s)
obj = type("O", (), {})()
obj.attr, lst = 1, [0, 0]
lst[0], lst[1] = "L0", "L1"
print(obj.attr, lst)
head, *_ = [10, 20, 30]
print(head, _)
