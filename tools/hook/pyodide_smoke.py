"""Smoke run of an inject-hook-instrumented stdlib where no Lib/test exists (pyodide 3.14).

    pyrewrite --pass inject-hook --param hook=pyrewrite_hook_count:hook STDLIB_PYC HOOKED
    cp tools/hook/pyrewrite_hook_count.py HOOKED/
    node tools/pyodide/run.mjs tools/hook/pyodide_smoke.py HOOKED

Re-imports json, textwrap, heapq, fractions, statistics, dataclasses and enum
from HOOKED (pyodide preloads some of them), checks a few results and prints
the hook counts of the functions it called.
"""
import sys

sys.path.insert(0, sys.argv[1])
for m in [k for k in list(sys.modules) if k.split('.')[0] in ('json', 'textwrap', 'heapq', 'collections', 'functools', 'dataclasses', 'enum', 're', 'fractions', 'statistics')]:
    del sys.modules[m]
import json, textwrap, heapq, fractions, statistics, dataclasses, enum, pyrewrite_hook_count as h
print(json.__file__, textwrap.__file__)
assert json.__file__.startswith(sys.argv[1]), json.__file__
assert json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
assert textwrap.dedent("  x\n  y") == "x\ny"
assert heapq.nsmallest(2, [5, 1, 4]) == [1, 4]
assert statistics.mean([fractions.Fraction(1, 2), 1]) == fractions.Fraction(3, 4)
@dataclasses.dataclass
class P:
    x: int
assert P(1) == P(1)
class Color(enum.Enum):
    RED = 1
assert Color(1) is Color.RED
def gen():
    yield from heapq.merge([1, 3], [2])
assert list(gen()) == [1, 2, 3]
print("hook entries", sum(h._counts.values()), "qualnames", len(h._counts))
for q in ("JSONDecoder.decode", "dedent", "nsmallest", "mean", "merge"):
    print(" ", q, h._counts.get(q))
    assert h._counts.get(q), q
