#!/usr/bin/env bash
# The coverage pass against coverage.py on CPython's own regression tests:
# the same `python -m test TEST...` run twice in VENV (which has coverage.py),
# once under `coverage run [--branch] --pylib` with the real standard
# library, once with the standard library compiled (tools/oracle/compile_tree.py),
# rewritten with `pyrewrite --pass coverage [--param branch=true]` and put
# first on PYTHONPATH with the runtime (3.11+: -X frozen_modules=off). The
# measured lines (or arcs) of every standard-library file either run
# measured are compared file by file.
#   tools/coverage_stdlib.sh VENV [--branch] TEST...
# Env: PYREWRITE (the binary; default target/release/pyrewrite), WORK
# (default target/coverage-stdlib/<venv name>). Prints one row per file
# that differs and a summary; exits 1 when a tested module (heapq.py for
# test_heapq) differs.
# NB: pick tests that start no Python subprocess: coverage.py measures the
# test process only, while the probes also run in its children.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
venv="$1"; shift
branch=""
if [ "${1:-}" = "--branch" ]; then branch=--branch; shift; fi
TESTS=("$@")
PY="$ROOT/$venv/bin/python"
PYREWRITE=${PYREWRITE:-$ROOT/target/release/pyrewrite}
WORK=${WORK:-$ROOT/target/coverage-stdlib/$(basename "$venv")${branch:+-branch}}
rm -rf "$WORK" && mkdir -p "$WORK"
"$PY" "$ROOT/tools/oracle/compile_tree.py" --stdlib "$WORK/plain" 2>/dev/null
rm -rf "$WORK/plain/test" "$WORK/plain/site-packages"
param=()
if [ -n "$branch" ]; then param=(--param branch=true); fi
"$PYREWRITE" --pass coverage "${param[@]}" -q "$WORK/plain" "$WORK/probed" 2>/dev/null
mkdir -p "$WORK/probed/pyrewrite"
: > "$WORK/probed/pyrewrite/__init__.py"
cp "$ROOT/python/pyrewrite/coverage.py" "$WORK/probed/pyrewrite/"
XOPT=()
if "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then XOPT=(-X frozen_modules=off); fi
export PYTHONDONTWRITEBYTECODE=1
cd "$WORK"
t0=$(date +%s.%N)
COVERAGE_FILE="$WORK/theirs" "$PY" -m coverage run $branch --pylib -m test "${TESTS[@]}" > theirs.log 2>&1 || true
t1=$(date +%s.%N)
# NB: coverage.py sees only what runs after it starts: what its own start
# imports (module bodies) it never measures. So the probed run imports the
# same (coverage.cmdline) first and forgets what that recorded.
COVERAGE_FILE="$WORK/ours" PYTHONPATH="$WORK/probed" "$PY" "${XOPT[@]}" -c '
import sys, runpy
import coverage.cmdline
from pyrewrite import coverage as rt
rt.HITS.clear(); rt.ARCS.clear()
sys.argv[1:] = sys.argv[1:]
runpy.run_module("test", run_name="__main__", alter_sys=True)' "${TESTS[@]}" > ours.log 2>&1 || true
t2=$(date +%s.%N)
grep -h "^Result:\|== Tests result" theirs.log ours.log | sed 's/^/regrtest: /'
"$PY" - "$branch" "$t0" "$t1" "$t2" "$(dirname "$("$PY" -c 'import os; print(os.__file__)')")" "${TESTS[@]}" <<'PY'
import sys
from coverage import CoverageData
branch = sys.argv[1] == "--branch"
t0, t1, t2 = map(float, sys.argv[2:5])
lib = sys.argv[5] + "/"
theirs, ours = CoverageData("theirs"), CoverageData("ours")
theirs.read()
ours.read()
get = (lambda d, f: set(d.arcs(f) or ())) if branch else (lambda d, f: set(d.lines(f) or ()))
# NB: the standard library only (not Lib/test, not site-packages).
keep = lambda f: f.startswith(lib) and not f[len(lib):].startswith(("test/", "site-packages/"))
files = sorted(f for f in theirs.measured_files() | ours.measured_files() if keep(f))
bad = 0
for f in files:
    a, b = get(theirs, f), get(ours, f)
    if a != b:
        bad += 1
        print("DIFFERENT %s: only coverage.py %s; only probes %s" % (f[len(lib):], sorted(a - b)[:12], sorted(b - a)[:12]))
# NB: the module each test is about (test_heapq: heapq.py), where both
# runs measure the same code: the files above may also differ by what runs
# before coverage.py starts or after it stops (module bodies it imports
# itself, interpreter shutdown), which no probe can know.
targets = [lib + t[len("test_"):] + ".py" for t in sys.argv[6:]]
targets = [f for f in targets if f in files]
tbad = [f for f in targets if get(theirs, f) != get(ours, f)]
print("coverage_stdlib: tested modules: %d, %d equal%s" % (len(targets), len(targets) - len(tbad), "".join("; DIFFERENT " + f[len(lib):] for f in tbad)))
what = "arcs" if branch else "lines"
print("coverage_stdlib: python %s (%s): %d stdlib files, %d equal, %d different; coverage.py %.1f s, probes %.1f s"
      % (sys.version.split()[0], what, len(files), len(files) - bad, bad, t1 - t0, t2 - t1))
sys.exit(1 if tbad else 0)
PY
