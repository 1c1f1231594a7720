# Constant tuples built from loaded values: on 3.8/3.9 the peephole
# optimizer folds them after co_stacksize was computed, so the stored size
# counts every item (docs/stackdepth.md); other tuples here come from the
# AST optimizer or the compiler and count one slot.

x = (1, 2)


def f(*args, **kwargs):
    return args, sorted(kwargs.items())


def defaults(a=1, b=2):
    return a, b


def tuple_default(a=(1, 2), b=3):
    return a, b


def kwonly(*, a=1, b=2):
    return a, b


def mixed(a=1, b=2, *, c=3, d=4):
    return a, b, c, d


def annotated(a: int = 1, b: str = "x") -> tuple:
    return a, b


lam = lambda a=1, b=2: (a, b)

print(defaults(), tuple_default(), kwonly(), mixed(), annotated(), lam())
print(f(1, 2, *x))
print(f(*x, 1, 2))
print(f(1, 2, **{}))
print(f(1, 2, 3, **{"k": 4}))
print([1, 2, *x], sorted({1, 2, *x}), (1, 2, *x))


def outer():
    def inner(p=1, q=2):
        def innermost(r=1, s=2):
            return r + s

        return innermost() + p + q

    return inner()


def ends_with_kwnames():
    s = "x"
    t = "y"
    return f(x=1, y=2), s, t


def ends_with_compiler_tuple():
    a = 1
    b = 2
    return (1, 2), a, b


def star_of_constant():
    a = 1
    b = 2
    return f(*(1, 2)), a, b


def kwnames_then_defaults():
    f(a=1, b=2)

    def g(a=1, b=2):
        return a * b

    return g()


def repeated_defaults():
    def g(a=1, b=2):
        return a

    def h(a=1, b=2):
        return b

    return g(), h()


def wide_defaults():
    # the folded defaults are the deepest point of this function
    def g(a=1, b=2, c=3, d=4, e=5, f=6):
        return a + f

    return g()


def distinct_keys(a=1.0, b=1, c=True, d=None, e=None):
    return a, b, c, d, e


print(outer(), ends_with_kwnames(), ends_with_compiler_tuple(), star_of_constant())
print(kwnames_then_defaults(), repeated_defaults(), wide_defaults(), distinct_keys())
print([(lambda a=1, b=2, c=3: a + b + c)() for _ in range(2)])
