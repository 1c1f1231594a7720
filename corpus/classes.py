# Classes: inheritance, super(), __class__, properties, class/static methods,
# metaclasses, __init_subclass__, __slots__, dunder methods.


class Base:
    kind = "base"

    def __init__(self, x):
        self.x = x

    def describe(self):
        return "Base(%s)" % self.x

    def __repr__(self):
        return "<%s x=%r>" % (type(self).__name__, self.x)


class Child(Base):
    kind = "child"

    def __init__(self, x, y):
        super().__init__(x)
        self.y = y

    def describe(self):
        return "Child[" + super().describe() + "]" + __class__.__name__

    @property
    def total(self):
        return self.x + self.y

    @total.setter
    def total(self, value):
        self.y = value - self.x

    @total.deleter
    def total(self):
        self.y = 0


c = Child(1, 2)
print(c.describe(), c.total, c)
c.total = 10
print(c.y)
del c.total
print(c.y, Child.kind, Base.kind)
print(Child.__mro__)


class Meta(type):
    def __new__(mcls, name, bases, ns, **kw):
        ns["made_by_meta"] = kw.get("tag", "none")
        return super().__new__(mcls, name, bases, ns)


class WithMeta(metaclass=Meta, tag="T"):
    pass


print(WithMeta.made_by_meta, type(WithMeta).__name__)


class Plugin:
    registry = []

    def __init_subclass__(cls, name=None, **kw):
        super().__init_subclass__(**kw)
        cls.registry.append(name or cls.__name__)


class A(Plugin, name="alpha"):
    pass


class B(Plugin):
    pass


print(Plugin.registry)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = 2


s = Slotted()
try:
    s.c = 3
except AttributeError:
    print("slots enforced")


class Vec:
    def __init__(self, *c):
        self.c = c

    def __add__(self, o):
        return Vec(*[a + b for a, b in zip(self.c, o.c)])

    def __matmul__(self, o):
        return sum(a * b for a, b in zip(self.c, o.c))

    def __eq__(self, o):
        return self.c == o.c

    __hash__ = None

    def __getitem__(self, i):
        return self.c[i]

    def __len__(self):
        return len(self.c)

    def __call__(self, k):
        return [k * a for a in self.c]

    def __repr__(self):
        return "Vec%r" % (self.c,)


v = Vec(1, 2, 3)
print(v + v, v @ v, v == Vec(1, 2, 3), v[1:], len(v), v(2))


class Outer:
    class Inner:
        def where(self):
            return __class__.__qualname__

    def method(self):
        class Local:
            pass
        return Local.__qualname__


print(Outer.Inner().where(), Outer().method())


class ClassMethods:
    count = 0

    @classmethod
    def make(cls):
        cls.count += 1
        return cls()

    @staticmethod
    def helper(a, b):
        return a * b


ClassMethods.make()
ClassMethods.make()
print(ClassMethods.count, ClassMethods.helper(6, 7))


def zero_arg_super_in_nested():
    class P:
        def f(self):
            return "P.f"

    class Q(P):
        def f(self):
            return "Q>" + super().f()

    return Q().f()


print(zero_arg_super_in_nested())


class Descriptor:
    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        return "descriptor " + self.name


class UsesDescriptor:
    attr = Descriptor()


print(UsesDescriptor().attr)
