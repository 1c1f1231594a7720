# CPython 3.12: a line start right after the call of a Python function
# (which 3.12 runs in the same evaluation loop) fires a line event even on
# the same line: coverage.py records (7, 7); the probes cannot tell a
# Python callee from a C one.
def map_if(items, pred, func, func_else=lambda x: x):
    for item in items:
        yield func(item) if pred(item) else func_else(item)


print(list(map_if(range(-2, 2), lambda x: x > 0, lambda x: "big")))
