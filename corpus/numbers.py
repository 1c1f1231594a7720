# Numeric constants: big ints, floats (inf, -0.0, nan), complex.
import math
import struct

big = 2 ** 64 + 1
neg_big = -(2 ** 100) - 12345
hundreds = 123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890
negative_literal = -98765432109876543210987654321098765432109876543210987654321
print(big, neg_big, len(str(hundreds)), hundreds % 1000007, negative_literal)
print(0x7FFFFFFF, 0x80000000, -0x80000000, 0xFFFFFFFFFFFFFFFF, 1 << 63, -(1 << 63), 2 ** 30, 2 ** 15)
print(0, -1, 255, 256, 65535, 65536, 1_000_000, 0o777, 0b1010)
inf = 1e400
ninf = -1e400
negzero = -0.0
nan = float("nan")
print(inf, ninf, negzero, math.copysign(1, negzero), nan != nan)
print(struct.pack(">d", negzero).hex(), struct.pack(">d", 0.1).hex())
print(1.5, 2.5e-300, 1.7976931348623157e308, 5e-324, 0.1 + 0.2, 1e16, 123456789.125)
z = 3 + 4j
print(z, abs(z), -2j, 1j * 1j, complex(inf, negzero), 0j, -0j)
print(7 // 2, -7 // 2, 7 % -3, divmod(-7, 2), 2 ** -1, 10 / 4, round(2.675, 2))
print(int("-" + "9" * 50) + 1, (10 ** 40) // 7, hex(2 ** 70), (-5) ** 3, ~5, -(-5))
print(float.fromhex("0x1.8p1"), (2.5).hex(), int(1e20), 1e20 == 10 ** 20)
print(True + True, 3 * False, isinstance(True, int))
print(1_0.0_1, 0xdead_beef, 1e1_0)
