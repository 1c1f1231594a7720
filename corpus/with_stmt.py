# with, nested with, multiple items, suppression, exceptions in __exit__.
log = []


class CM:
    def __init__(self, name, suppress=False):
        self.name = name
        self.suppress = suppress

    def __enter__(self):
        log.append("enter " + self.name)
        return self.name.upper()

    def __exit__(self, et, ev, tb):
        log.append("exit %s %s" % (self.name, et.__name__ if et else None))
        return self.suppress


with CM("a") as a:
    log.append("body " + a)

with CM("b") as b, CM("c") as c:
    log.append(b + c)

with CM("outer", suppress=True):
    with CM("inner"):
        raise RuntimeError("x")
    log.append("not reached")

with CM("no-as"):
    pass

try:
    with CM("propagate"):
        raise ValueError("v")
except ValueError:
    log.append("caught v")


def with_return():
    with CM("ret"):
        return "returned"


log.append(with_return())

for i in range(3):
    with CM("loop%d" % i):
        if i == 1:
            continue
        if i == 2:
            break

target = {}
with CM("target") as target["key"]:
    pass
log.append(target)
for line in log:
    print(line)
