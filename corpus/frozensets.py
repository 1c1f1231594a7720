# Constant frozensets (`in {...}`), set displays, set operations.
def classify(c):
    if c in {"a", "e", "i", "o", "u"}:
        return "vowel"
    if c in {1, 2, 3}:
        return "small"
    if c not in {(1, 2), (3, 4)}:
        return "other"
    return "pair"


print([classify(c) for c in ["a", "b", 2, (1, 2), None]])
for x in {10}:
    print("single-element set loop", x)
s = {3, 1, 2}
s.add(5)
print(sorted(s), sorted(s | {9}), sorted(s & {1, 5, 7}), sorted(s - {1}), sorted(s ^ {2, 8}))
fs = frozenset([1, 2, 2, 3])
print(sorted(fs), fs == {1, 2, 3}, len(frozenset()), set() == frozenset())
print(sorted({x % 3 for x in range(10)}), {1, 2} <= {1, 2, 3}, {*range(3), *"ab"} >= {0})
print(2.0 in {1, 2}, "x" in frozenset("xyz"), sorted(map(str, {None, True, 1.5})))
