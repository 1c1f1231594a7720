#!/usr/bin/env bash
# The coverage pass against coverage.py on a third-party project's own test
# suite: more-itertools (from PyPI into the venv $1, its tests from the same
# release's sdist, as tools/thirdparty_test.sh) run twice, under
# `coverage run [--branch] --source=more_itertools -m pytest` and under
# `python -m pyrewrite run --config passes/coverage[-branch].toml`; the
# measured lines (or arcs) are compared file by file. Prints the wall times
# of both runs and one row per file; exits 1 when a file differs.
#   tools/coverage_thirdparty.sh VENV [--branch]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$1"
branch="${2:-}"
run="$(tools/thirdparty_prepare.sh "$venv" cov)"
py="$PWD/$venv/bin/python"
config="$PWD/passes/coverage.toml"
flag=()
if [ "$branch" = "--branch" ]; then config="$PWD/passes/coverage-branch.toml"; flag=(--branch); fi
cd "$run"
t0=$(date +%s.%N)
COVERAGE_FILE="$PWD/theirs" "$py" -m coverage run "${flag[@]}" --source=more_itertools -m pytest -q -p no:cacheprovider tests | tail -1
t1=$(date +%s.%N)
COVERAGE_FILE="$PWD/ours" "$py" -m pyrewrite run --no-cache --config "$config" \
  --include 'more_itertools' --include 'more_itertools.*' -m pytest -q -p no:cacheprovider tests | tail -1
t2=$(date +%s.%N)
"$py" - "$branch" "$t0" "$t1" "$t2" <<'PY'
import sys
from coverage import CoverageData
branch = sys.argv[1] == "--branch"
t0, t1, t2 = map(float, sys.argv[2:5])
theirs, ours = CoverageData("theirs"), CoverageData("ours")
theirs.read()
ours.read()
get = (lambda d, f: set(d.arcs(f) or ())) if branch else (lambda d, f: set(d.lines(f) or ()))
files = sorted(theirs.measured_files() | ours.measured_files())
bad = 0
for f in files:
    a, b = get(theirs, f), get(ours, f)
    if a == b:
        print("equal     %s (%d)" % (f, len(a)))
    else:
        bad += 1
        print("DIFFERENT %s: only coverage.py %s; only probes %s" % (f, sorted(a - b), sorted(b - a)))
what = "arcs" if branch else "lines"
print("coverage_thirdparty: python %s (%s): %d files, %d equal, %d different; coverage.py %.2f s, probes %.2f s (%.2fx)"
      % (sys.version.split()[0], what, len(files), len(files) - bad, bad, t1 - t0, t2 - t1, (t2 - t1) / (t1 - t0)))
sys.exit(1 if bad else 0)
PY
