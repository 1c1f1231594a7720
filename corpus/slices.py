# Slicing: simple, extended, negative, assignment, deletion, slice objects, constant slices.
s = list(range(10))
print(s[2:5], s[:3], s[7:], s[::3], s[::-1], s[-3:-1], s[5:2:-1], s[:], s[100:])
t = "abcdefghij"
print(t[1:8:2], t[-1], t[::-2], t[:-3])
s[1:3] = ["a", "b", "c"]
print(s)
s[::2] = [0] * len(s[::2])
print(s)
del s[:4]
print(s)
sl = slice(1, None, 2)
print(t[sl], sl.indices(10), sl, slice(5))
print((1, 2, 3, 4)[1:3], b"bytes"[1:3], range(10)[2:8:3])


class Recorder:
    def __getitem__(self, k):
        return k


r = Recorder()
print(r[1:2], r[1:2, 3], r[::], r[..., 1], r[1:2:3], r[:, None])
lo, hi = 2, 6
print(t[lo:hi], t[lo:], t[:hi], t[lo:hi:lo])
m = [[1, 2, 3], [4, 5, 6]]
print([row[1:] for row in m])
