# Parenthesised context managers (3.10+ grammar) and match as a soft keyword.
class CM:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        print("enter", self.n)
        return self.n

    def __exit__(self, *exc):
        print("exit", self.n)


with (
    CM(1) as a,
    CM(2) as b,
    CM(3),
):
    print("body", a + b)
match = "match is still a name"
case = [match]
print(case)
print(int.bit_count(255), list(zip("ab", "cd", strict=True)))
