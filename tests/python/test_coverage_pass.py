"""The `coverage` pass records the lines CPython's own line events report.

Oracle: each corpus file runs once under sys.settrace (the line events
coverage.py's tracer sees on 3.8-3.11; 3.12+ settrace's events agree with
its sys.monitoring lines on the corpus, see tools/coverage_compare.py) and
once rewritten by the pass; the sets of executed lines must be equal.
"""

import dis
import glob
import io
import os
import shutil
import subprocess
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
    lines0 = {ln for _, ln in dis.findlinestarts(f0) if ln is not None}
    assert lines0 == {2, 3, 4} | ({1} if sys.version_info >= (3, 11) else set())
    assert {ln for _, ln in dis.findlinestarts(f1) if ln is not None} == lines0


# The runner of the probed side: the script compiled under its real path,
# rewritten in-process and run as __main__; the runtime writes COVERAGE_FILE
# at exit through coverage.py's CoverageData.
PROBED_MAIN = """
import sys, pyrewrite
branch = sys.argv[1] == "branch"
path = sys.argv[2]
sys.argv = sys.argv[2:]
code = pyrewrite.rewrite(compile(open(path).read(), path, "exec"), [("coverage", {"branch": branch})])
exec(code, {"__name__": "__main__", "__file__": path})
"""


def measure_both(path, tmp_path, branch):
    """coverage.py's measurement of `path` and the pass's, as sets of
    lines (or arcs with `branch`), from the data files both write."""
    coverage = pytest.importorskip("coverage")
    # NB: renamed so that a corpus file cannot shadow a stdlib module (numbers.py).
    script = str(tmp_path / ("t_" + os.path.basename(path)))
    shutil.copy(path, script)
    theirs, ours = str(tmp_path / "theirs"), str(tmp_path / "ours")
    env = dict(os.environ, COVERAGE_FILE=ours)
    flag = ["--branch"] if branch else []
    r1 = subprocess.run([sys.executable, "-m", "coverage", "run"] + flag + ["--data-file=" + theirs, script],
                        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    r2 = subprocess.run([sys.executable, "-c", PROBED_MAIN, "branch" if branch else "lines", script],
                        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r1.returncode == r2.returncode, r2.stdout.decode(errors="replace")[-500:]
    measured = []
    for f in (theirs, ours):
        data = coverage.CoverageData(f)
        data.read()
        measured.append(set((data.arcs(script) if branch else data.lines(script)) or ()))
    return measured


@pytest.mark.parametrize("path", CORPUS, ids=os.path.basename)
def test_lines_equal_coverage_py(path, tmp_path):
    """The oracle is coverage.py itself, run on the same program."""
    theirs, ours = measure_both(path, tmp_path, branch=False)
    assert ours == theirs
    assert theirs, "coverage.py measured nothing"


@pytest.mark.parametrize("path", CORPUS, ids=os.path.basename)
def test_arcs_equal_coverage_py_branch(path, tmp_path):
    """`branch = true` against `coverage run --branch` on the same program."""
    theirs, ours = measure_both(path, tmp_path, branch=True)
    assert sorted(ours - theirs) == [] and sorted(theirs - ours) == []
    assert theirs, "coverage.py measured nothing"


KNOWN_DIR = os.path.join(os.path.dirname(__file__), "coverage_known")

# The differences docs/passes.md explains, per version: file -> (arcs only
# coverage.py measures, arcs only the probes measure). Each file says why.
KNOWN_ARCS = {
    "unstarted_close.py": {v: ({(-3, -3)}, set()) for v in ((3, 8), (3, 9), (3, 10), (3, 11))},
    "raise_record_start.py": {(3, 9): ({(10, -4)}, {(10, 14)})},
    "call_inlined.py": {(3, 12): ({(7, 7)}, set())},
}


@pytest.mark.parametrize("name", sorted(KNOWN_ARCS))
def test_known_arc_differences_are_exactly_these(name, tmp_path):
    theirs, ours = measure_both(os.path.join(KNOWN_DIR, name), tmp_path, branch=True)
    want = KNOWN_ARCS[name].get(sys.version_info[:2], (set(), set()))
    assert (theirs - ours, ours - theirs) == want


def test_runtime_decodes_arcs_of_thrown_in_exceptions():
    # A tuple start is "(yield line, -co_firstlineno)": suspended there.
    assert runtime._arc(5, 6) == (5, 6)
    # A 1-tuple end: the frame was left by an exception.
    assert runtime._arc(5, (-3,)) == (5, -3)
    assert runtime._arc((5, -3), (-3,)) is None
    # A return after an exception raised inside the suspension point.
    assert runtime._arc((5, -3), -3) == (-3 if sys.version_info[:2] == (3, 11) else 5, -3)
    expect = -3 if sys.version_info[:2] == (3, 11) else 5
    assert runtime._arc((5, -3), 7) == (expect, 7)


def test_branch_probes_keep_results_and_tracebacks():
    src = (
        "def f(n):\n"
        "    t = 0\n"
        "    for i in range(n):\n"
        "        if i % 2: t += i\n"
        "    return t\n"
        "def g():\n"
        "    return 1 // 0\n"
    )
    code = compile(src, "arcs_t.py", "exec")
    ns = {}
    exec(pyrewrite.rewrite(code, [("coverage", {"branch": True})]), ns)
    runtime.ARCS.clear()
    assert ns["f"](5) == 4
    with pytest.raises(ZeroDivisionError) as info:
        ns["g"]()
    assert info.traceback[-1].lineno + 1 == 7
    arcs = runtime.arcs()["arcs_t.py"]
    assert (-1, 2) in arcs and (5, -1) in arcs and (4, 3) in arcs
    # An exception leaving g is an exit too, as coverage.py records it.
    assert (7, -6) in arcs
    runtime.ARCS.clear()


def test_branch_probes_raise_nothing_near_the_recursion_limit():
    """An arc probe finds its keys by identity, so once its site has run
    it raises no RecursionError of its own at the recursion limit ("in
    comparison", from comparing a freshly built key, as the probes did
    before): the program fails where it fails without probes. A site's
    first run makes its dict with a Python call, which the limit can
    refuse; the warm-up runs every site first. Lines past 256: their ints
    are no shared small ints."""
    src = "\n" * 300 + (
        "def f(n, stop):\n"
        "    if n is stop:\n"
        "        raise RecursionError('stop')\n"
        "    return f(n + 1, stop)\n"
    )
    code = compile(src, "deep_t.py", "exec")

    def message(c):
        ns = {}
        exec(c, ns)
        with pytest.raises(RecursionError, match="stop"):
            ns["f"](0, 3)
        with pytest.raises(RecursionError) as info:
            ns["f"](0, None)
        return str(info.value)

    plain = message(code)
    runtime.ARCS.clear()
    probed = message(pyrewrite.rewrite(code, [("coverage", {"branch": True})]))
    assert "comparison" not in probed, probed
    if sys.version_info >= (3, 12):
        # NB: before 3.12 the limit also counts C-level calls, and where
        # it is hit can move by a frame (the message says which call).
        assert probed == plain
    arcs = runtime.arcs()["deep_t.py"]
    assert (-301, 302) in arcs and (302, 304) in arcs and (304, -301) in arcs
    runtime.ARCS.clear()


def test_unwritable_data_file_is_one_clear_line(tmp_path):
    """A data file that cannot be written: the program's own exit status,
    and one line on stderr saying where and what was lost."""
    script = tmp_path / "p.py"
    script.write_text("x = 1\nprint(x)\n")
    bad = str(tmp_path / "no" / "such" / "dir" / ".coverage")
    env = dict(os.environ, COVERAGE_FILE=bad)
    r = subprocess.run([sys.executable, "-c", PROBED_MAIN, "lines", str(script)],
                       cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0
    err = r.stderr.decode()
    assert "pyrewrite.coverage: cannot write the coverage data to " + bad in err, err
    assert "Traceback" not in err
    assert not os.path.exists(bad)


def test_executable_lines_come_from_the_line_tables(tmp_path):
    """Each probed module registers the lines its code can run, so the
    lines that did not run are known without source (LCOV DA:n,0)."""
    src = "def f(x):\n    if x:\n        return 1\n    return 2\n\nf(1)\n"
    name = str(tmp_path / "m_exec.py")
    code = compile(src, name, "exec")
    runtime.HITS.clear()
    runtime.EXECUTABLE.pop(name, None)
    exec(pyrewrite.rewrite(code, ["coverage"]), {"__name__": "m_exec"})
    assert {2, 3, 4, 6} <= set(runtime.EXECUTABLE[name])
    assert 4 in runtime.missing()[name] and 3 not in runtime.missing()[name]
    runtime.HITS.clear()
    runtime.EXECUTABLE.pop(name, None)


def test_without_coverage_py_lcov_names_the_lines_that_did_not_run(tmp_path):
    """No coverage.py (python -S: no site-packages), the runtime alone on
    PYTHONPATH, the module run from its marshalled code (no source): the
    LCOV file has DA:n,0 for the line that never ran."""
    import marshal

    src = "def f(x):\n    if x:\n        return 1\n    return 2\n\nf(1)\n"
    name = str(tmp_path / "gone.py")  # NB: never written: no source.
    code = pyrewrite.rewrite(compile(src, name, "exec"), ["coverage"])
    blob = tmp_path / "gone.bin"
    blob.write_bytes(marshal.dumps(code))
    rt = tmp_path / "rt" / "pyrewrite"
    rt.mkdir(parents=True)
    (rt / "__init__.py").write_text("")
    shutil.copy(runtime.__file__, str(rt / "coverage.py"))
    data = str(tmp_path / ".coverage")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "rt"), COVERAGE_FILE=data)
    run = "import marshal; exec(marshal.loads(open(%r, 'rb').read()), {'__name__': '__main__'})" % str(blob)
    r = subprocess.run([sys.executable, "-S", "-c", run], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout
    lcov = open(data + ".lcov").read()
    assert "SF:%s\n" % name in lcov
    assert "DA:4,0\n" in lcov and "DA:3,1\n" in lcov and "DA:6,1\n" in lcov
