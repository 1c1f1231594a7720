# Decorators on functions and classes, with arguments, stacked, functools.wraps.
import functools

calls = []


def trace(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        calls.append(fn.__name__)
        return fn(*args, **kwargs)
    return wrapper


def repeat(times):
    def deco(fn):
        def wrapper(*a):
            return [fn(*a) for _ in range(times)]
        return wrapper
    return deco


@trace
@repeat(3)
def greet(name):
    return "hi " + name


print(greet("ann"), calls, greet.__name__)


def register(cls):
    cls.registered = True
    return cls


@register
class Thing:
    @staticmethod
    def s():
        return "static"

    @classmethod
    def c(cls):
        return "class " + cls.__name__

    @property
    def p(self):
        return "prop"


print(Thing.registered, Thing.s(), Thing.c(), Thing().p)


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


print(fib(50), fib.cache_info().hits)


def outer_deco_factory(prefix):
    def deco(fn):
        return lambda *a: prefix + fn(*a)
    return deco


class Namespace:
    deco = staticmethod(outer_deco_factory(">"))


@Namespace.deco
def dotted():
    return "dotted"


print(dotted())
