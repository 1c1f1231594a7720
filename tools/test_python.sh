#!/usr/bin/env bash
# The Python package's tests: builds the wheel once with pip (the build
# `pip install .` runs), then for each CPython 3.8-3.13 found (tools/python_for.sh)
# makes a fresh venv, installs that wheel, pytest and coverage.py (the oracle of
# the coverage pass), and runs tests/python.
# The third-party checks (tools/thirdparty_test.sh, tools/coverage_thirdparty.sh)
# run on 3.8 and 3.12.
#   PYREWRITE_PY_VERSIONS="3.12"  limit the versions
#   PYREWRITE_REQUIRE_ORACLES     a missing interpreter fails the run (CI)
#   extra arguments go to pytest (e.g. -k dis)
set -euo pipefail
cd "$(dirname "$0")/.."
versions="${PYREWRITE_PY_VERSIONS:-3.8 3.9 3.10 3.11 3.12 3.13}"
versions="${versions//,/ }"
work=target/py
mkdir -p "$work"
wheel="$(tools/build_wheel.sh)"
echo "test_python: $wheel"
missing=()
failed=()
tested=()
for v in $versions; do
  py="$(tools/python_for.sh "$v" || true)"
  if [ -z "$py" ]; then
    missing+=("$v")
    continue
  fi
  tested+=("$v")
  venv="$work/venv-$v"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  extra=()
  # NB: tests/python/test_ported.py runs a script written for the bytecode
  # library, for the 3.8-3.10 opcodes it uses.
  case "$v" in 3.8|3.9|3.10) extra=("bytecode==0.15.1") ;; esac
  "$venv/bin/pip" install -q --disable-pip-version-check "$wheel" pytest coverage "${extra[@]}"
  echo "test_python: CPython $v ($("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])'))"
  if ! (cd tests/python && "../../$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"); then
    failed+=("$v")
  fi
  case "$v" in
    3.8|3.12)
      if [ -z "${PYREWRITE_SKIP_THIRDPARTY:-}" ] && ! tools/thirdparty_test.sh "$venv"; then failed+=("$v third-party"); fi
      # NB: the coverage pass's lines against coverage.py's on that suite.
      if [ -z "${PYREWRITE_SKIP_THIRDPARTY:-}" ] && ! tools/coverage_thirdparty.sh "$venv" | grep -v '^equal'; then failed+=("$v coverage third-party"); fi ;;
  esac
done
# NB: 3.14 has no native interpreter here: the coverage pass is compared
# with coverage.py under pyodide (slow: three pyodide starts per file).
if [ -z "${PYREWRITE_SKIP_THIRDPARTY:-}" ] && [ -x "$work/venv-3.12/bin/python" ] && [ -f node_modules/py314/package.json ]; then
  if ! tools/coverage_314.sh "$work/venv-3.12"; then failed+=("3.14 coverage (pyodide)"); fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "test_python: no interpreter for: ${missing[*]}" >&2
  if [ -n "${PYREWRITE_REQUIRE_ORACLES:-}" ]; then exit 1; fi
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "test_python: FAILED on: ${failed[*]}" >&2
  exit 1
fi
if [ ${#tested[@]} -eq 0 ]; then
  echo "test_python: no interpreter found for any of: $versions" >&2
  exit 1
fi
echo "test_python: passed on: ${tested[*]}"
