"""The wrap pass against the other ways to see every call (issue 14).

usage: VENV/bin/python tools/bench/wrap_bench.py
VENV has the pyrewrite wheel. One process, one workload (calls of small
functions, recursion, a method, a generator), each variant on a fresh copy
of the workload's functions, median of several runs side by side:

- plain: the functions as compiled;
- decorator: a wrapt-style decorator on every function, calling no-op
  enter/exit/error hooks around the call (functools.wraps, try/except);
- wrap: the workload's module code rewritten with `("wrap",
  enter/exit/error)` before it runs (as the import hook does), with the
  same no-op hooks;
- wrap, switched off: the same with `switch = "wrapbench_hooks:ON"` (a
  module attribute read at each call), the flag false;
- wrap, builtin switch off: the same with `switch = "builtins:..."` (the
  flag is a builtin: one LOAD_GLOBAL per call), the flag false;
- sys.monitoring (3.12+): PY_START, PY_RETURN and RAISE callbacks that do
  nothing, on the workload's code objects only.

Prints a Markdown table row per variant: time, and the ratio to plain.
"""

import functools
import sys
import types

import pyrewrite
from pytiming import timed

WORK = '''
def add(a, b):
    return a + b

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

class Box:
    def __init__(self, v):
        self.v = v
    def get(self):
        return self.v

def squares(n):
    for i in range(n):
        yield i * i

def run():
    t = 0
    for i in range(20000):
        t = add(t, i)
        t += Box(i).get()
    t += fib(18)
    t += sum(squares(2000))
    return t
'''


def hooks_module():
    m = types.ModuleType("wrapbench_hooks")

    def enter(qualname):
        return None

    def exit(token, value):
        pass

    def error(token, exc):
        pass

    m.enter, m.exit, m.error = enter, exit, error
    m.ON = False
    sys.modules[m.__name__] = m
    return m


def fresh():
    m = types.ModuleType("wrapbench_work")
    exec(compile(WORK, "wrapbench_work.py", "exec"), m.__dict__)
    return m


def decorate(m, hooks):
    """A wrapt-style decorator (the common shape) on every function."""

    def wrapper_for(f, qualname):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            token = hooks.enter(qualname)
            try:
                result = f(*args, **kwargs)
            except BaseException as e:
                hooks.error(token, e)
                raise
            hooks.exit(token, result)
            return result

        return wrapper

    for name, v in list(vars(m).items()):
        if isinstance(v, types.FunctionType):
            setattr(m, name, wrapper_for(v, v.__qualname__))
        elif isinstance(v, type):
            for attr, f in list(vars(v).items()):
                if isinstance(f, types.FunctionType):
                    setattr(v, attr, wrapper_for(f, f.__qualname__))
    return m


def wrapped(switch=None):
    """The workload's module code rewritten before it runs, as the import
    hook does. (Not `patch` on the functions: on 3.13 CPython never
    specializes calls to a function whose `__code__` was assigned.)"""
    params = {"enter": "wrapbench_hooks:enter", "exit": "wrapbench_hooks:exit", "error": "wrapbench_hooks:error"}
    if switch:
        params["switch"] = switch
    m = types.ModuleType("wrapbench_work")
    code = pyrewrite.rewrite(compile(WORK, "wrapbench_work.py", "exec"), [("wrap", params)])
    exec(code, m.__dict__)
    return m


def monitored(m):
    mon = sys.monitoring
    tool = mon.PROFILER_ID
    mon.use_tool_id(tool, "wrapbench")
    ev = mon.events

    def nothing(*args):
        return None

    for e in (ev.PY_START, ev.PY_RETURN, ev.RAISE):
        mon.register_callback(tool, e, nothing)
    codes = [v.__code__ for v in vars(m).values() if isinstance(v, types.FunctionType)]
    codes += [f.__code__ for f in vars(m.Box).values() if isinstance(f, types.FunctionType)]
    # NB: RAISE is a global event only (sys.monitoring refuses it locally).
    mon.set_events(tool, ev.RAISE)
    for c in codes:
        mon.set_local_events(tool, c, ev.PY_START | ev.PY_RETURN)

    def done():
        for c in codes:
            mon.set_local_events(tool, c, 0)
        mon.set_events(tool, 0)
        mon.free_tool_id(tool)

    return m, done


def main():
    hooks = hooks_module()
    iters = 15
    variants = [("plain", fresh()), ("decorator", decorate(fresh(), hooks)), ("wrap", wrapped()),
                ("wrap, switched off", wrapped("wrapbench_hooks:ON")),
                ("wrap, builtin switch off", wrapped("builtins:__wrapbench_on__"))]
    expect = variants[0][1].run()
    results = []
    # NB: interleaved rounds, so load changes hit every variant alike.
    times = {name: [] for name, _ in variants}
    for _ in range(7):
        for name, m in variants:
            t, out = timed(m.run, iters)
            assert out == expect, name
            times[name].append(t)
    for name, _ in variants:
        results.append((name, min(times[name])))
    if sys.version_info >= (3, 12):
        m, done = monitored(fresh())
        t = min(timed(m.run, iters)[0] for _ in range(3))
        done()
        results.append(("sys.monitoring PY_START+PY_RETURN+RAISE", t))
    plain = results[0][1]
    v = sys.version.split()[0]
    for name, t in results:
        print("| %s | %s | %.2f ms | %.2fx |" % (v, name, t * 1000, t / plain))


if __name__ == "__main__":
    main()
