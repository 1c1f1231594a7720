# for/else, while/else, break, continue, nested loops, range/enumerate/zip.
for i in range(3):
    print("for", i)
else:
    print("for-else runs")
for i in range(10):
    if i == 2:
        break
else:
    print("not printed")
n = 0
while n < 3:
    n += 1
else:
    print("while-else", n)
while True:
    n -= 1
    if n == 1:
        continue
    if n < 0:
        break
    print("while", n)
for i, (a, b) in enumerate(zip("xyz", range(3))):
    print(i, a, b)
found = None
for row in range(4):
    for col in range(4):
        if row * col == 6:
            found = (row, col)
            break
    else:
        continue
    break
print("found", found)
total = 0
for i in range(100):
    if i % 3:
        continue
    total += i
print(total)
for ch in "ab":
    for k in range(2):
        pass
print(ch, k)
it = iter([1, 2, 3])
for x in it:
    if x == 1:
        next(it)
    print("it", x)
count = 0
while count < 1000:
    count += 7
print(count)
for _ in []:
    pass
else:
    print("empty for-else")
