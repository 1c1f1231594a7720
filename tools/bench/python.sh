#!/usr/bin/env bash
# The Python package's benchmarks (docs/benchmarks.md), per CPython version:
# in-process inject-hook vs the bytecode library (python_inject.py),
# Bytecode.from_code+to_code vs the bytecode library (python_bytecode.py),
# and imports under the hook vs plain (python_import.py).
#   tools/bench/python.sh [VERSION ...]     default: 3.8 3.12
# Uses the wheel in target/py/wheels (tools/build_wheel.sh builds it when
# missing) and a venv per version in target/py/bench-X.Y with the newest
# `bytecode` release pip finds for that interpreter.
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.8 3.12)
wheel="$(ls "$PWD"/target/py/wheels/pyrewrite-*.whl 2>/dev/null || tools/build_wheel.sh)"
for v in "${versions[@]}"; do
  py="$(tools/python_for.sh "$v")" || { echo "no CPython $v" >&2; exit 1; }
  venv="target/py/bench-$v"
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
  "$venv/bin/pip" install -q --disable-pip-version-check bytecode
  echo "### CPython $v"
  echo
  "$venv/bin/python" tools/bench/python_inject.py
  echo
  "$venv/bin/python" tools/bench/python_bytecode.py
  echo
  "$venv/bin/python" tools/bench/python_import.py
  echo
done
