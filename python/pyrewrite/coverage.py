"""Runtime of the ``coverage`` pass: the hits dict the probes store into.

Rewritten code runs ``HITS[(filename, line)] = None`` at each line start
(no call). At exit (and on ``flush()``) the hits go to coverage.py's data
file through its public ``CoverageData`` API when coverage.py is
importable, at the path it would use (``COVERAGE_FILE``, default
``.coverage``); otherwise to ``<that path>.lcov`` and ``<that path>.json``.
Only builtins are imported at import time; a crash or ``os._exit`` loses
the hits since the last flush.
"""

import atexit

HITS = {}


def lines():
    """The hits so far as ``{filename: sorted lines}``."""
    out = {}
    for (filename, line) in list(HITS):
        out.setdefault(filename, set()).add(line)
    return {f: sorted(ls) for f, ls in out.items()}


def _path():
    import os

    return os.path.abspath(os.environ.get("COVERAGE_FILE", ".coverage"))


def flush():
    """Write the hits so far; returns the path written."""
    data = lines()
    path = _path()
    try:
        from coverage import CoverageData
    except ImportError:
        CoverageData = None
    if CoverageData is not None:
        cd = CoverageData(basename=path)
        cd.add_lines({f: set(ls) for f, ls in data.items()})
        cd.write()
        return path
    import json

    with open(path + ".json", "w") as fh:
        json.dump({"lines": data}, fh, indent=1, sort_keys=True)
    with open(path + ".lcov", "w") as fh:
        for f in sorted(data):
            fh.write("SF:%s\n" % f)
            for line in data[f]:
                fh.write("DA:%d,1\n" % line)
            fh.write("end_of_record\n")
    return path + ".lcov"


def _at_exit():
    # NB: a process that imported the runtime but ran no probe leaves no file.
    if HITS:
        flush()


atexit.register(_at_exit)
