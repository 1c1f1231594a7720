# PEP 614 (3.9+): any expression as a decorator; dict union operators.
decorators = [lambda f: f, lambda f: (lambda: "wrapped " + f())]


@decorators[1]
def indexed():
    return "indexed"


@(lambda f: f)
def plain():
    return "plain"


print(indexed(), plain())
a = {"x": 1}
b = {"y": 2}
print(a | b)
a |= {"z": 3}
print(a)
print("prefix-body".removeprefix("prefix-"))
