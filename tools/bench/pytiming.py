"""The clock the Python package's in-process benchmarks share."""

import gc
import statistics
import time


def timed(fn, iters):
    """The median time of ``iters`` calls of ``fn`` (garbage collector off
    inside each, a full collection before), and the last result."""
    times, out = [], None
    for _ in range(iters):
        gc.collect()
        gc.disable()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        gc.enable()
    return statistics.median(times), out
