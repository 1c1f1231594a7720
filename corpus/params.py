# Every parameter kind: positional-only, defaults, keyword-only, *args, **kwargs, annotations.
import inspect


def all_kinds(a, b=2, /, c=3, *args, d, e=5, **kwargs) -> "result":
    return a, b, c, args, d, e, sorted(kwargs.items())


print(all_kinds(1, d=4))
print(all_kinds(1, 20, 30, 40, 50, d=4, e=6, z=0))
print(str(inspect.signature(all_kinds)))


def annotated(x: int, y: "str" = "s", *rest: float, flag: bool = False, **kw: dict) -> list:
    return [x, y, rest, flag, kw]


print(annotated(1, "a", 1.5, flag=True, k=1))
print(sorted(annotated.__annotations__))
print(annotated.__defaults__, annotated.__kwdefaults__)


def kwonly_no_default(*, key):
    return key


print(kwonly_no_default(key="k"))
try:
    kwonly_no_default()
except TypeError:
    print("missing keyword-only argument")


def posonly(a, /):
    return a


try:
    posonly(a=1)
except TypeError:
    print("positional-only enforced")


def mutable_default(x, acc=[]):
    acc.append(x)
    return acc


mutable_default(1)
print(mutable_default(2))
args = (1, 2)
kw = {"d": 9, "extra": True}
print(all_kinds(*args, *[3, 4], **kw, **{"z": 1}))
co = all_kinds.__code__
print(co.co_argcount, co.co_posonlyargcount, co.co_kwonlyargcount, co.co_varnames)
print(co.co_flags & 0x0C)
