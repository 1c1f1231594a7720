"""The `coverage` pass records the lines CPython's own line events report.

Oracle: each corpus file runs once under sys.settrace (the line events
coverage.py's tracer sees on 3.8-3.11; 3.12+ settrace's events agree with
its sys.monitoring lines on the corpus, see tools/coverage_compare.py) and
once rewritten by the pass; the sets of executed lines must be equal.
"""

import glob
import io
import os
import sys
import contextlib

import pytest

import pyrewrite
from pyrewrite import coverage as runtime

CORPUS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "corpus", "*.py")))

# Known differences (none on the corpus now; docs/passes.md).
KNOWN = {}


def run(code):
    g = {"__name__": "__main__", "__file__": code.co_filename}
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(code, g)
        except SystemExit:
            pass


def traced_lines(code):
    lines = set()

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != code.co_filename:
            return None
        if event == "line":
            lines.add(frame.f_lineno)
        return tracer

    sys.settrace(tracer)
    try:
        run(code)
    finally:
        sys.settrace(None)
    return lines


@pytest.mark.parametrize("path", CORPUS, ids=os.path.basename)
def test_lines_equal_line_events(path):
    name = os.path.abspath(path) + ".cov"
    code = compile(open(path).read(), name, "exec")
    expected = traced_lines(code)
    probed = pyrewrite.rewrite(code, ["coverage"])
    runtime.HITS.clear()
    run(probed)
    got = {line for (f, line) in runtime.HITS if f == name}
    extra = KNOWN.get((sys.version_info[:2], os.path.basename(path)), set())
    assert got - expected == extra
    assert expected - got == set()


def test_probes_do_not_change_line_table():
    code = compile("def f(x):\n    if x:\n        return 1\n    return 2\n", "t.py", "exec")
    probed = pyrewrite.rewrite(code, ["coverage"])
    f0 = [c for c in code.co_consts if hasattr(c, "co_code")][0]
    f1 = [c for c in probed.co_consts if hasattr(c, "co_code")][0]
    assert sorted({ln for _, _, ln in f1.co_lines()} if hasattr(f1, "co_lines") else ()) == sorted(
        {ln for _, _, ln in f0.co_lines()} if hasattr(f0, "co_lines") else ()
    )
