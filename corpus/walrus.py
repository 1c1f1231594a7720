# Assignment expressions (3.8+).
data = [1, 5, 12, 3, 20]
if (n := len(data)) > 3:
    print("long list", n)
print([y for x in data if (y := x * 2) > 10])
chunks = iter(["a", "b", ""])
while (chunk := next(chunks)):
    print("chunk", chunk)
print((total := sum(data)), total)


def in_function():
    if any((found := x) > 10 for x in data):
        return found
    return None


print(in_function())
print(x := 5, x)
stack = [1, 2, 3]
while stack and (top := stack.pop()) != 1:
    print("popped", top)
