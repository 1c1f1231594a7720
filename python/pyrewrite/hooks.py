"""Ready hooks for ``inject-hook``: a counter, a printer and a timer.

Use them as ``hook = "pyrewrite.hooks:count"`` (or ``printer``, ``timer``).
Each is called as ``hook(qualname, *extra)`` at the entry of every
instrumented function. This module imports only built-in modules when it is
imported, so instrumented code can load it early, and it works without the
compiled extension (copy it beside a sourceless tree if pyrewrite is not
installed there).

- ``count``: counts entries per qualified name. At exit it writes
  ``{"qualname": count, ...}`` as JSON to ``$PYREWRITE_COUNTS`` (default
  ``pyrewrite-counts.json`` in the working directory). :func:`counts`,
  :func:`dump` and :func:`reset` give access during the run.
- ``printer``: prints ``pyrewrite: enter QUALNAME EXTRA...`` to stderr (or
  to ``$PYREWRITE_PRINT``, a file it appends to).
- ``timer``: records a timestamp per entry; at exit writes them to
  ``$PYREWRITE_TIMELINE`` (default ``pyrewrite-timeline.json``) in the
  Chrome trace-event format that chrome://tracing and Perfetto open, with
  per-function call counts and first/last entry times in ``summary``.
"""

import sys
import time

__all__ = ["count", "printer", "timer", "counts", "dump", "reset"]

_counts = {}
_events = []
_t0 = time.perf_counter()
_registered = set()


def _at_exit(what):
    # NB: atexit is a built-in module; registering lazily means a program
    # that never calls a hook writes nothing.
    if what not in _registered:
        import atexit

        _registered.add(what)
        atexit.register(what)


def count(qualname, *extra):
    """Counts one entry of ``qualname``."""
    try:
        _counts[qualname] += 1
    except KeyError:
        _counts[qualname] = 1
        _at_exit(dump)


def counts():
    """A copy of the counts so far."""
    return dict(_counts)


def reset():
    """Forgets the counts and the timeline."""
    _counts.clear()
    del _events[:]


def _path(var, default):
    import os

    return os.environ.get(var) or default


def _write_json(path, value):
    import json
    import os

    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def dump(path=None):
    """Writes the counts as JSON to ``path`` (default ``$PYREWRITE_COUNTS``
    or ``pyrewrite-counts.json``) and returns the path."""
    path = path or _path("PYREWRITE_COUNTS", "pyrewrite-counts.json")
    _write_json(path, _counts)
    return path


def printer(qualname, *extra):
    """Prints the entry of ``qualname`` (and the extra arguments)."""
    line = " ".join(["pyrewrite: enter", str(qualname)] + [str(x) for x in extra])
    target = _path("PYREWRITE_PRINT", "")
    if target:
        with open(target, "a") as f:
            f.write(line + "\n")
    else:
        sys.stderr.write(line + "\n")


def timer(qualname, *extra):
    """Records the time of this entry of ``qualname``."""
    if not _events:
        _at_exit(dump_timeline)
    _events.append((time.perf_counter(), qualname))


def dump_timeline(path=None):
    """Writes the timeline (Chrome trace events) and returns the path."""
    path = path or _path("PYREWRITE_TIMELINE", "pyrewrite-timeline.json")
    summary = {}
    for t, q in _events:
        s = summary.setdefault(q, {"calls": 0, "first_s": t - _t0, "last_s": 0.0})
        s["calls"] += 1
        s["last_s"] = t - _t0
    trace = [{"name": q, "ph": "i", "s": "t", "ts": (t - _t0) * 1e6, "pid": 1, "tid": 1} for t, q in _events]
    _write_json(path, {"traceEvents": trace, "summary": summary})
    return path
