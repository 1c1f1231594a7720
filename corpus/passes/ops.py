# replace-op targets: every binary operator, augmented assignments, comparisons
# (chained, in conditions, in loops hot enough to specialize), in/not in, is/is not.


def arith(a, b):
    return a + b, a - b, a * b, a / b, a // b, a % b, a ** 2, a << 1, a >> 1, a & b, a | b, a ^ b


def augmented(a, b):
    x = a
    x += b
    x -= 1
    x *= b
    x //= 2
    x %= 1000
    x **= 1
    x <<= 1
    x >>= 1
    x &= 255
    x |= 4
    x ^= 1
    return x


def compare(a, b):
    return a < b, a <= b, a == b, a != b, a > b, a >= b


def branch(a, b):
    out = []
    if a < b:
        out.append("lt")
    if a <= b:
        out.append("le")
    if a == b:
        out.append("eq")
    if a != b:
        out.append("ne")
    if a > b:
        out.append("gt")
    if a >= b:
        out.append("ge")
    if not a == b:
        out.append("not-eq")
    return out


def chained(a, b, c):
    return a < b < c, a <= b <= c, a == b == c


def hot(limit):
    # NB: 1000 iterations: 3.11+ specializes COMPARE_OP/BINARY_OP on ints and
    # floats, and the specialized forms read the comparison mask bits.
    n_lt = n_eq = 0
    acc = 0
    f = 0.0
    for i in range(1000):
        if i < limit:
            n_lt += 1
        if i == limit:
            n_eq += 1
        acc = acc + i
        f = f + 0.5
        if f > 250.0:
            f = f - 1.0
    return n_lt, n_eq, acc, f


def membership(x, seq):
    return x in seq, x not in seq, (1 if x in seq else 0)


def identity(x, y):
    r = []
    if x is y:
        r.append("same")
    if x is not y:
        r.append("different")
    return r, x is y, x is not y


def strings(s, t):
    return s + t, s * 2, s < t, s == t


s1 = "abc"
s2 = "abd"
print(arith(7, 3))
print(augmented(7, 3))
print(compare(1, 2), compare(2, 2), compare(3, 2))
print(branch(1, 2), branch(2, 2), branch(3, 2))
print(chained(1, 2, 3), chained(2, 2, 2), chained(3, 2, 1))
print(hot(500), hot(0))
print(membership(2, [1, 2, 3]), membership(5, (1, 2, 3)), membership("b", "abc"))
print(identity(s1, s1), identity(s1, s2))
print(strings(s1, s2))
