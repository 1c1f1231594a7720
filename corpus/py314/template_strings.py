# PEP 750 template strings (3.14+).
from string.templatelib import Template, Interpolation

name = "world"
count = 3
t = t"hello {name}, {count:>4} times {name!r}"
print(type(t).__name__, t.strings)
print([(i.value, i.expression, i.conversion, i.format_spec) for i in t.interpolations])
print(list(t.values))
