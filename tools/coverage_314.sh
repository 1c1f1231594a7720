#!/usr/bin/env bash
# The coverage pass against coverage.py on CPython 3.14, which runs here
# only under pyodide (node_modules/py314): coverage.py's pure-Python wheel
# from PyPI is unpacked for it, and tools/coverage_compare.py --pyodide runs
# both sides of each corpus file there. Lines are compared with coverage.py's
# default core (sys.monitoring); arcs with its settrace core
# (COVERAGE_CORE=pytrace): its sys.monitoring core records arcs in another
# form on 3.14 (docs/passes.md); against that core the branch report is
# compared instead (executed lines, branches taken and missed), with one
# known difference: with_stmt.py line 28, which the sys.monitoring core
# reports run and is not (the settrace core and the probes agree).
#   tools/coverage_314.sh VENV      VENV: any venv with coverage.py (reads the data files)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$1"
ver=7.13.5
dir=target/py/coverage-$ver-pure
if [ ! -f "$dir/coverage/__init__.py" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary :all: \
    --python-version 3.14 --platform any "coverage==$ver" -d "$dir.dl"
  "$venv/bin/python" -m zipfile -e "$dir.dl/coverage-$ver-py3-none-any.whl" "$dir"
fi
bin="${CARGO_TARGET_DIR:-target}/release/pyrewrite"
files=(corpus/*.py tests/python/coverage_known/*.py)
status=0
"$venv/bin/python" tools/coverage_compare.py --pyodide "$dir" "$bin" "${files[@]}" | grep -v '^equal' || status=1
COVERAGE_CORE=pytrace "$venv/bin/python" tools/coverage_compare.py --branch --pyodide "$dir" "$bin" "${files[@]}" | grep -v '^equal' || status=1
"$venv/bin/python" tools/coverage_compare.py --branch --report --known corpus/with_stmt.py:28 --pyodide "$dir" "$bin" "${files[@]}" | grep -v '^equal' || status=1
exit $status
