# A generator closed before it ever ran: CPython 3.8-3.11 start and end
# its frame (coverage.py records the arc (-3, -3)); the probes never run.
def gen():
    yield 1


g = gen()
g.close()
print("closed")
