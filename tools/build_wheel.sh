#!/usr/bin/env bash
# Builds the pyrewrite wheel once with pip (the build `pip install .` runs,
# maturin as the backend, from a build venv in target/py/build) and prints
# its path. One abi3 wheel serves CPython 3.8 and every later version.
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/py
mkdir -p "$work"
if [ ! -x "$work/build/bin/pip" ]; then
  build_py="$(tools/python_for.sh 3.11 || command -v python3)"
  "$build_py" -m venv "$work/build" >&2
fi
"$work/build/bin/pip" install -q --disable-pip-version-check "maturin>=1.5,<2" >&2
rm -rf "$work/wheels"
echo "build_wheel: pip wheel . (maturin, release)" >&2
PATH="$PWD/$work/build/bin:$PATH" "$work/build/bin/pip" wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$work/wheels" . >&2
ls "$PWD/$work"/wheels/pyrewrite-*.whl
