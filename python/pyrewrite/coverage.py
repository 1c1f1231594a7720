"""Runtime of the ``coverage`` pass: the dicts the probes store into.

Rewritten code runs ``HITS[(filename, line)] = None`` at each line start,
or with ``branch = true`` ``ARCS[(filename, line, qualname)][last] = None``
(the arc from the frame's previous line; ``-co_firstlineno`` on entry and
exit, as coverage.py records them). No call on the hot path, and no key
is built or compared there: the site key and ``last`` are constants of the
code object, found by identity. At exit (and on
``flush()``) they go to coverage.py's data file through its public
``CoverageData`` API when coverage.py is importable, at the path it would
use (``COVERAGE_FILE``, default ``.coverage``); otherwise to ``<that
path>.lcov`` and ``<that path>.json``. A data file holds lines or arcs,
not both: when a process has both, the arcs are written and the files
with lines only are named on stderr and left out. Only builtins are imported at import
time; a crash or ``os._exit`` loses the hits since the last flush.
"""

import atexit
import sys

HITS = {}


class _Sites(dict):
    """``{(filename, line, qualname): {last: None}}``: a probe site's dict
    is made on its first use."""

    __slots__ = ()

    def __missing__(self, key):
        inner = self[key] = {}
        return inner


ARCS = _Sites()
# NB: filename -> the lines its code objects can run (line-table starts),
# registered by each probed module's code when it starts.
EXECUTABLE = {}


def lines(pairs=None):
    """The executed lines so far as ``{filename: sorted lines}`` (from the
    arcs too: an arc's end is an executed line); ``pairs``: ``arcs()``
    when the caller has it already."""
    out = {}
    for (filename, line) in list(HITS):
        out.setdefault(filename, set()).add(line)
    for filename, pairs in (arcs() if pairs is None else pairs).items():
        for (_, line) in pairs:
            if line > 0:
                out.setdefault(filename, set()).add(line)
    return {f: sorted(ls) for f, ls in out.items()}


# NB: coverage.py's tracer starts the arc of an exception thrown into a
# suspended generator at -co_firstlineno on 3.11, at the yield's line
# elsewhere.
_THROWN_FROM_ENTRY = sys.version_info[:2] == (3, 11)
_SAME_LINE_AFTER_THROW = sys.version_info >= (3, 13)
_EXIT_FROM_YIELD = sys.version_info >= (3, 14)


def _arc(a, b):
    """The arc a probe recorded, as coverage.py's tracer records it; None
    for none. A tuple ``a`` is ``(yield line, -co_firstlineno)``: the frame
    was suspended there and an exception was thrown in (or raised inside
    the suspending instruction). A tuple ``b`` is ``(-co_firstlineno,)``:
    an exception left the frame."""
    if type(b) is tuple:
        if type(a) is tuple:
            # NB: it left the frame straight from the yield: the tracer
            # sees the yield as its last instruction, not a return (3.14:
            # it does see a return there).
            return (a[0], b[0]) if _EXIT_FROM_YIELD else None
        return (a, b[0])
    if type(a) is not tuple:
        return (a, b)
    if b == a[0] and not _SAME_LINE_AFTER_THROW:
        # NB: handled on the yield's own line (`yield from`'s
        # CLEANUP_THROW): the line did not change, no line event (3.13+
        # fires one there).
        return None
    return (a[1] if _THROWN_FROM_ENTRY else a[0], b)


def arcs():
    """The arcs so far as ``{filename: sorted (from, to) pairs}``."""
    out = {}
    for (filename, b, _), inner in list(ARCS.items()):
        for a in list(inner):
            arc = _arc(a, b)
            if arc is not None:
                out.setdefault(filename, set()).add(arc)
    return {f: sorted(s) for f, s in out.items()}


def _path():
    import os

    return os.path.abspath(os.environ.get("COVERAGE_FILE", ".coverage"))


def flush():
    """Write what was recorded so far; returns the path written."""
    pairs = arcs()
    data = lines(pairs)
    path = _path()
    try:
        from coverage import CoverageData
    except ImportError:
        CoverageData = None
    if CoverageData is not None:
        cd = CoverageData(basename=path)
        if pairs:
            lost = sorted(f for (f, _) in HITS if f not in pairs)
            if lost:
                sys.stderr.write("pyrewrite.coverage: lines of %d file(s) without arcs left out of %s\n" % (len(set(lost)), path))
            cd.add_arcs({f: set(a) for f, a in pairs.items()})
        else:
            cd.add_lines({f: set(ls) for f, ls in data.items()})
        cd.write()
        return path
    import json

    executable = {f: sorted(ls) for f, ls in list(EXECUTABLE.items())}
    with open(path + ".json", "w") as fh:
        json.dump({"lines": data, "arcs": {f: [list(a) for a in s] for f, s in pairs.items()},
                   "executable": executable}, fh, indent=1, sort_keys=True)
    with open(path + ".lcov", "w") as fh:
        # NB: a line that can run and did not is DA:n,0 (modules without
        # source too: the lines come from the line tables).
        for f in sorted(set(data) | set(executable)):
            hit = set(data.get(f, ()))
            every = sorted(hit | set(executable.get(f, ())))
            fh.write("SF:%s\n" % f)
            for line in every:
                fh.write("DA:%d,%d\n" % (line, 1 if line in hit else 0))
            fh.write("LF:%d\nLH:%d\nend_of_record\n" % (len(every), len(hit)))
    return path + ".lcov"


def missing():
    """``{filename: sorted lines that can run and did not}`` for every
    probed module, from its line tables (no source needed)."""
    data = lines()
    out = {}
    for f, every in list(EXECUTABLE.items()):
        out[f] = sorted(set(every) - set(data.get(f, ())))
    return out


def _at_exit():
    # NB: a process that imported the runtime but ran no probe leaves no file.
    if HITS or ARCS:
        try:
            flush()
        except Exception as e:  # noqa: BLE001 - reported, the exit goes on
            # NB: one line, not an atexit traceback: what was lost and why.
            sys.stderr.write(
                "pyrewrite.coverage: cannot write the coverage data to %s: %s: %s (%d line hits, %d arcs lost)\n"
                % (_path(), type(e).__name__, e, len(HITS), sum(len(d) for d in list(ARCS.values())))
            )


atexit.register(_at_exit)
