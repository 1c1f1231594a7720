# Chained comparisons, conditional expressions, boolean short-circuit, identity/membership.
calls = []


def v(x):
    calls.append(x)
    return x


print(1 < 2 < 3, 1 < 3 < 2, 3 > 2 >= 2 == 2 != 1)
print(v(1) < v(5) < v(3) < v(10), calls)
calls.clear()
print(v(0) and v(1), v(2) or v(3), not v(4), calls)
x = 5
print("big" if x > 3 else "small", "a" if x < 0 else "b" if x < 10 else "c")
print(x is None, x is not None, 3 in [1, 2, 3], "z" not in "abc")
print(None == 0, [] == [], [1] is [1], (1, 2) < (1, 3), "a" < "b" < "c")
print(0 or "" or [] or "last", 1 and "x" and 0, (lambda: 0)() or "fallback")
y = [] or {} or None
print(y, bool(0.0), bool("0"), not not [1])
a = b = 3
print(a == b == 3, a is b, 0 < x <= 5, -1 < -x < 0)
print(max(1, 2) if min(3, 4) > 2 else None)
print([i for i in range(10) if 2 < i < 7 and i != 4 or i == 9])
