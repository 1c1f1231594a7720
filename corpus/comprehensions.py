# List/set/dict/generator comprehensions, nested, with conditions.
matrix = [[r * 3 + c for c in range(3)] for r in range(3)]
print(matrix)
print([x for row in matrix for x in row if x % 2 == 0 if x > 2])
print(sorted({x % 4 for x in range(20)}))
print({k: v for k, v in zip("abc", range(3)) if v})
print(sum(x * y for x in range(4) for y in range(x)))
print([[y for y in range(x)] for x in range(4)])
transposed = [[row[i] for row in matrix] for i in range(3)]
print(transposed)
words = ["apple", "bob", "kayak", "level", "python"]
print({w: len(w) for w in words if w == w[::-1]})
print([(i, j) for i in range(3) for j in range(3) if i != j])
print(list(map(lambda t: t[0] * t[1], [(a, b) for a in (1, 2) for b in (3, 4)])))
captured = 10
print([captured + i for i in range(3)])


def in_function(n):
    base = n * 100
    return [base + i for i in range(n)], {i: [base for _ in range(i)] for i in range(3)}


print(in_function(3))


class InClass:
    items = [1, 2, 3]
    doubled = [i * 2 for i in items]


print(InClass.doubled)
print([x if x > 2 else -x for x in range(5)])
print(sorted({(a, b) for a in range(2) for b in "xy"}))
nested_gen = ((x, (y for y in range(x))) for x in range(3))
print([(x, list(g)) for x, g in nested_gen])
print([y for x in range(6) if (y := x * x) > 5])
print(any(x > 3 for x in range(5)), all(x < 3 for x in range(5)))
