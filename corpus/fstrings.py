# f-strings: format specs, conversions, nested fields, = specifier.
import datetime

name = "world"
pi = 3.14159265
n = 1234567
print(f"hello {name}!")
print(f"{pi:.3f} {pi:10.2f}| {pi:<10.1f}| {n:,} {n:_x} {n:#o} {255:08b}")
print(f"{name!r} {name!s} {name!a} {'é'!a}")
width, prec = 12, 4
print(f"{pi:{width}.{prec}f}|")
print(f"{name=} {pi=:.2f} {n = }")
print(f"{'nested ' + f'{name.upper()}'}")
print(f"{{literal braces}} {n}")
print(f"{[x * 2 for x in range(3)]} {dict(a=1)['a']}")
d = datetime.date(2020, 1, 2)
print(f"{d:%Y/%m/%d}")
print(f"{3 + 4j} {-0.0} {1e400} {10**20}")
print(f"{'left':<8}|{'right':>8}|{'mid':^9}|{'fill':*^10}")
print(F"upper prefix {name}", rf"raw \n {name}", fr"{name}\t")
multi = f"""line1 {name}
line2 {n:>{width}}"""
print(multi)
print(f"{n!r:>10}")
print(f'{"quoted"}', f"{'x'!r:^7}")
