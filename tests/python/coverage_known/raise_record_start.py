# CPython 3.9: an exception raised by the first instruction of a line
# record (the RAISE_VARARGS of this multi-line raise, back on line 10)
# fires no line event at its handler in the middle of line 14's record.
def minmax(items, default=None):
    it = iter(items)
    try:
        lo = next(it)
    except StopIteration as exc:
        if default is None:
            raise ValueError(
                "empty"
                "x"
            ) from exc
        return default
    return lo


for args in (([],), ([], 3), ([1],)):
    try:
        print(minmax(*args))
    except ValueError:
        print("empty")
