#!/usr/bin/env bash
# The whole test suite: installs what the tests need (the pinned pyodide
# npm package that provides CPython 3.14), then runs every test in release
# mode (the stdlib checks read thousands of files per version).
# Then the Python package's tests (tools/test_python.sh: the wheel built once,
# a fresh venv per CPython 3.8-3.13; PYREWRITE_SKIP_PYTHON=1 skips them).
# Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v npm >/dev/null 2>&1; then
  if [ ! -f node_modules/py314/package.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
else
  echo "tools/test.sh: npm not found: CPython 3.14 (pyodide) checks will be skipped" >&2
fi
# NB: the oracle summary is printed whether the tests pass or fail, so a
# green run still says which versions it could not check.
status=0
cargo test --release --no-fail-fast "$@" || status=$?
if [ -z "${PYREWRITE_SKIP_PYTHON:-}" ]; then
  bash tools/test_python.sh || status=$?
fi
echo
cargo run --release --quiet --example oracles || true
exit "$status"
