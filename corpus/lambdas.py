# Lambdas: defaults, closures, nested, immediately called, keyword-only.
sq = lambda x: x * x
add = lambda a, b=2, *rest, c=3, **kw: (a, b, rest, c, sorted(kw.items()))
print(sq(7), add(1), add(1, 5, 6, 7, c=9, z=1))
compose = lambda f, g: lambda x: f(g(x))
print(compose(sq, lambda x: x + 1)(3))
print((lambda: "called immediately")())
print(sorted(["bb", "a", "ccc"], key=lambda s: -len(s)))
curried = lambda a: lambda b: lambda c: a + b + c
print(curried(1)(2)(3))
print(list(filter(lambda n: n % 3 == 0, range(10))))
print((lambda *a, **k: (a, k))(1, 2, x=3))
print(sq.__name__, sq.__code__.co_argcount, add.__defaults__, add.__kwdefaults__)
