# Binary, unary, augmented and in-place operators on several types.
a, b = 17, 5
print(a + b, a - b, a * b, a / b, a // b, a % b, a ** 2, a << 2, a >> 1, a & b, a | b, a ^ b)
print(-a, +a, ~a, not a)
x = 10
x += 1
x -= 2
x *= 3
x //= 2
x %= 7
x **= 3
x <<= 2
x >>= 1
x &= 0xFF
x |= 0x100
x ^= 0x3
print(x)
f = 7.5
f /= 2
print(f)
lst = [1]
lst += [2]
lst *= 2
print(lst)
d = {"k": 1}
d["k"] += 10


class O:
    v = 1


o = O()
o.v += 5
o.v <<= 1
print(d, o.v)
m = [[0, 1], [2, 3]]
m[1][0] *= 10
print(m)
print("ab" + "cd", "ab" * 2, [0] * 3, (1,) + (2,), 3 * "z")
print(7 .__add__(1), (2).bit_length(), divmod(17, 5), pow(3, 4, 5), abs(-3))
print(True | False, True & False, True ^ True, 6 & 3 | 8, 1 + 2 * 3 ** 2 // 4 - 1)
