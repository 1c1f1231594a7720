# swap-const targets: the int 42 next to look-alikes (42.0, True, "42", b"42"),
# in functions, methods, defaults, constant tuples, closures and loops.
LIMIT = 42
NEIGHBOURS = (42.0, True, 1, "42", b"42", 41, 43)
GREETING = "hello"
BIG = 12345678901234567890
PAIR = (1, 42)


def scale(x):
    return x * 42


def defaults(a=42, b=(1, 42), c="hello"):
    return a, b, c


def in_tuple(x):
    return x in (41, 42, 43)


def small_loop():
    total = 0
    for i in range(7):
        total += i * 3
    return total


def make_adder():
    base = 42

    def add(y):
        return y + base

    return add


class Box:
    size = 42

    def get(self):
        return self.size + 42

    def label(self):
        return "hello"


def floats():
    return 42.0 * 2, 0.5


def flags():
    enabled = True
    return enabled, not enabled


def big():
    return BIG + 12345678901234567890


def neg():
    return -7, -42


def pair():
    return (1, 42), PAIR


def hot_loop():
    n = 0
    for i in range(1000):
        if i < 42:
            n += 1
    return n


print(LIMIT, NEIGHBOURS, GREETING, BIG, PAIR)
print(scale(2), defaults(), in_tuple(42), in_tuple(99), in_tuple(1000))
print(small_loop(), make_adder()(1), Box().get(), Box.size, Box().label())
print(floats(), flags(), big(), neg(), pair(), hot_loop())
