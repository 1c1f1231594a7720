"""Executed lines (or arcs) of the `coverage` pass against coverage.py, file by file.

usage: VENV/bin/python tools/coverage_compare.py [--branch [--report [--known FILE:LINES]...]] [--pyodide DIR] PYREWRITE_BIN FILE.py...

With --branch, coverage.py runs with `--branch` and the pass with
`branch=true`, and the measured arcs are compared instead of the lines.
With --pyodide DIR (DIR: an unpacked pure-Python coverage.py wheel), both
runs and the compilation happen in CPython 3.14 under pyodide
(tools/pyodide/run.mjs) instead of VENV's interpreter; VENV only reads the
data files. With --branch --report, what is compared is coverage.py's
report of each data file instead of the raw arcs: its analysis (executed
lines, executed and missing branch arcs per branch line) of coverage.py's
data and of the probes' arcs, made by coverage.py on the same source. This
is the comparison for cores that record arcs in another form (3.14's
sys.monitoring core); with --pyodide the analysis runs in pyodide too.

VENV has coverage.py 7.x. Each FILE runs twice as a script in a scratch
directory: once under `coverage run`, once compiled, rewritten with
`--pass coverage` and run from its .pyc with the pure-Python runtime
(python/pyrewrite/coverage.py alone on PYTHONPATH, without the compiled
extension). Prints one row per file (equal / different with both sides'
extra lines) and a summary; exits 1 when a file differs.
"""

import os
import py_compile
import shutil
import subprocess
import sys
import tempfile

from coverage import CoverageData

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.join(HERE, "..", "python", "pyrewrite", "coverage.py")


def run(cmd, cwd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)


RUN_MJS = os.path.join(HERE, "pyodide", "run.mjs")


def in_pyodide(code, *args):
    """The command that runs `code` (Python source) in pyodide's 3.14."""
    return ["node", RUN_MJS, "-c", code] + list(args)


# The report coverage.py makes of a data file: executed lines and, per line
# with several exits, the exits taken and the exits missed.
REPORT = """
def report(cov_dir, source, theirs, ours_json, out):
    import json, sys
    sys.path.insert(0, cov_dir)
    from coverage import Coverage
    from coverage.data import CoverageData
    from coverage.python import PythonFileReporter
    from coverage.results import analysis_from_file_reporter

    class Arcs:
        def __init__(self, arcs):
            self.a = arcs
        def has_arcs(self):
            return True
        def arcs(self, f):
            return self.a
        def lines(self, f):
            return sorted({l for a in self.a for l in a if l > 0})

    cd = CoverageData(theirs)
    cd.read()
    ours = Arcs([tuple(x) for x in json.load(open(ours_json))["arcs"].get(source, [])])
    fr = PythonFileReporter(source, Coverage(data_file=None, config_file=False))

    def summary(d):
        a = analysis_from_file_reporter(d, 2, fr, source)
        by_line = lambda m: sorted((k, sorted(v)) for k, v in m.items() if v)
        return [sorted(a.executed), by_line(a.executed_branch_arcs()), by_line(a.missing_branch_arcs())]

    json.dump({"coverage.py": summary(cd), "probes": summary(ours)}, open(out, "w"))
"""


def without_lines(summary, lines):
    """A report with `lines` and the branch arcs into them left out."""
    executed, taken, missed = summary

    def drop(by_line):
        kept = ([k, [d for d in v if d not in lines]] for k, v in by_line)
        return [[k, v] for k, v in kept if v]

    return [[l for l in executed if l not in lines], drop(taken), drop(missed)]


def compare(binary, path, scratch, branch=False, pyodide=None, report=False, known=()):
    name = os.path.basename(path)
    src = os.path.join(scratch, "src")
    inp = os.path.join(scratch, "in")
    out = os.path.join(scratch, "out")
    rt = os.path.join(scratch, "rt", "pyrewrite")
    for d in (src, inp, out):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    os.makedirs(rt, exist_ok=True)
    open(os.path.join(rt, "__init__.py"), "w").close()
    shutil.copy(RUNTIME, rt)
    # NB: renamed so that a corpus file cannot shadow a stdlib module (numbers.py).
    name = "t_" + name
    script = os.path.join(src, name)
    shutil.copy(path, script)
    pyc = os.path.join(inp, name + "c")
    if pyodide:
        c = run(in_pyodide("import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)", script, pyc), src)
        if c.returncode != 0:
            return "pyodide could not compile it: " + c.stdout.decode(errors="replace")[-300:]
    else:
        py_compile.compile(script, cfile=pyc, doraise=True)
    d1 = os.path.join(scratch, "orig.coverage")
    d2 = os.path.join(scratch, "probe.coverage")
    for d in (d1, d2):
        if os.path.exists(d):
            os.remove(d)
    flags = (["--branch"] if branch else []) + ["--data-file=" + d1, script]
    if pyodide:
        r1 = run(in_pyodide("import sys; sys.path.insert(0, sys.argv[1]); from coverage.cmdline import main; "
                            "sys.argv = ['coverage']; sys.exit(main(['run'] + sys.argv_rest))".replace(
                                "sys.argv_rest", repr(flags)), pyodide), src)
    else:
        r1 = run([sys.executable, "-m", "coverage", "run"] + flags, src)
    rw = run([binary, "--pass", "coverage"] + (["--param", "branch=true"] if branch else []) + [inp, out], scratch)
    if rw.returncode != 0:
        return "rewrite failed: " + rw.stdout.decode(errors="replace").strip().splitlines()[-1]
    if pyodide:
        # NB: the runtime alone (no coverage.py on the path): it writes its JSON.
        # NB: pyodide's runner runs no atexit handlers: flush at the end.
        # NB: with --report, coverage.py analyses both data files in the same
        # pyodide process once the program is done (it was not on the path
        # while the program ran).
        probed_main = "\n".join([
            "import sys, marshal, os",
            "sys.path.insert(0, sys.argv[1])",
            "pyc, sys.argv = sys.argv[2], sys.argv[3:]",
            "code = marshal.loads(open(pyc, 'rb').read()[16:])",
            "try:",
            "    exec(code, {'__name__': '__main__', '__file__': sys.argv[0]})",
            "finally:",
            "    import pyrewrite.coverage as rt",
            "    rt.flush()",
            "    if os.environ.get('COVCMP_REPORT'):",
            "        exec(REPORT_SRC)",
            "        report(*os.environ['COVCMP_REPORT'].split(os.pathsep))",
        ]).replace("REPORT_SRC", repr(REPORT))
        rep = os.path.join(scratch, "report.json")
        env = {"COVERAGE_FILE": d2}
        if report:
            if os.path.exists(rep):
                os.remove(rep)
            env["COVCMP_REPORT"] = os.pathsep.join([pyodide, script, d1, d2 + ".json", rep])
        r2 = run(in_pyodide(probed_main, os.path.dirname(rt), os.path.join(out, name + "c"), script), src, env)
    else:
        r2 = run([sys.executable, os.path.join(out, name + "c")], src, {"PYTHONPATH": os.path.dirname(rt), "COVERAGE_FILE": d2})
    if r1.returncode != r2.returncode:
        return "exit status %d under coverage.py, %d probed: %s" % (
            r1.returncode, r2.returncode, r2.stdout.decode(errors="replace")[-300:])
    if report:
        import json

        if not pyodide:
            rep = os.path.join(scratch, "report.json")
            ns = {}
            exec(REPORT, ns)
            import coverage

            cov_dir = os.path.dirname(os.path.dirname(os.path.abspath(coverage.__file__)))
            c2 = CoverageData(d2)
            c2.read()
            with open(d2 + ".json", "w") as fp:
                json.dump({"arcs": {script: sorted(c2.arcs(script) or [])}}, fp)
            ns["report"](cov_dir, script, d1, d2 + ".json", rep)
        if not os.path.exists(rep):
            return "no report: " + r2.stdout.decode(errors="replace")[-300:]
        got = json.load(open(rep))
        if known:
            got = {k: without_lines(v, set(known)) for k, v in got.items()}
        if got["coverage.py"] == got["probes"]:
            return None
        names = ["executed lines", "executed branches", "missing branches"]
        diffs = []
        for name_, a, b in zip(names, got["coverage.py"], got["probes"]):
            if a != b:
                diffs.append("%s: coverage.py %s, probes %s" % (name_, a, b))
        return "; ".join(diffs)
    cd1 = CoverageData(d1)
    cd1.read()
    measured = (lambda d: d.arcs(script)) if branch else (lambda d: d.lines(script))
    a = set(measured(cd1) or ())
    if pyodide:
        import json

        if not os.path.exists(d2 + ".json"):
            return "the probed run wrote no data file: " + r2.stdout.decode(errors="replace")[-300:]
        j = json.load(open(d2 + ".json"))
        b = set(tuple(x) for x in j["arcs"].get(script, ())) if branch else set(j["lines"].get(script, ()))
    else:
        if not os.path.exists(d2):
            return "the probed run wrote no data file: " + r2.stdout.decode(errors="replace")[-300:]
        c2 = CoverageData(d2)
        c2.read()
        b = set(measured(c2) or ())
    if a == b:
        return None
    return "only coverage.py: %s; only probes: %s" % (sorted(a - b), sorted(b - a))


def main(argv):
    branch = argv[:1] == ["--branch"]
    if branch:
        argv = argv[1:]
    report = argv[:1] == ["--report"]
    if report:
        argv = argv[1:]
    # --known FILE:L1,L2: lines on which the two reports may differ in FILE
    # (a known difference, documented), with the branch arcs into them.
    known = {}
    while argv[:1] == ["--known"]:
        f, lines = argv[1].rsplit(":", 1)
        known[os.path.abspath(f)] = [int(x) for x in lines.split(",")]
        argv = argv[2:]
    pyodide = None
    if argv[:1] == ["--pyodide"]:
        pyodide, argv = os.path.abspath(argv[1]), argv[2:]
    binary, files = os.path.abspath(argv[0]), argv[1:]
    scratch = tempfile.mkdtemp(prefix="covcmp")
    equal, different = 0, 0
    for f in files:
        why = compare(binary, os.path.abspath(f), scratch, branch, pyodide, report, known.get(os.path.abspath(f), ()))
        if why is None:
            equal += 1
            print("equal     %s" % f)
        else:
            different += 1
            print("DIFFERENT %s: %s" % (f, why))
    v = "3.14 (pyodide)" if pyodide else sys.version.split()[0]
    what = ("branch report" if report else "arcs") if branch else "lines"
    print("python %s (%s): %d files compared, %d equal, %d different" % (v, what, len(files), equal, different))
    shutil.rmtree(scratch, ignore_errors=True)
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
