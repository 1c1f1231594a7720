# global, nonlocal, del (names, attributes, subscripts, slices), locals at module level.
g = "module"


def set_global():
    global g, new_global
    g = "changed"
    new_global = "created"


set_global()
print(g, new_global)
x = 1
del x
try:
    print(x)
except NameError:
    print("x deleted")


def del_local():
    y = 5
    del y
    try:
        return y
    except UnboundLocalError:
        return "unbound"


print(del_local())
lst = list(range(10))
del lst[0]
del lst[1:3]
del lst[::2]
print(lst)
d = {"a": 1, "b": 2}
del d["a"]
print(d)


class Box:
    pass


bx = Box()
bx.item = 1
del bx.item
print(hasattr(bx, "item"))
a, b = 1, 2
del a, b


def nonlocal_chain():
    v = 0

    def step():
        nonlocal v
        v += 1

    for _ in range(3):
        step()
    return v


print(nonlocal_chain())


def uses_global_in_comprehension():
    return [g for _ in range(2)]


print(uses_global_in_comprehension())


class ClassScope:
    x = "class x"
    y = [x for _ in range(1)] if False else x

    def method(self):
        return x_global_lookup()


def x_global_lookup():
    return "global function"


print(ClassScope.y, ClassScope().method())
print(sorted(k for k in globals() if not k.startswith("__"))[:5])
