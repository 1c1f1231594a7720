# assert with and without messages; __debug__.
assert True
assert 1 + 1 == 2, "math works"
try:
    assert 1 > 2, "one is not greater than two"
except AssertionError as e:
    print("assertion failed:", e)
try:
    assert [], ("tuple", "message")
except AssertionError as e:
    print("args", e.args)
try:
    assert False
except AssertionError as e:
    print("no message", e.args)
print("debug", __debug__)
if __debug__:
    print("debug branch")


def checked(x):
    assert isinstance(x, int), f"not an int: {x!r}"
    return x * 2


print(checked(4))
try:
    checked("s")
except AssertionError as e:
    print(e)
