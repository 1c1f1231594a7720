#!/usr/bin/env bash
# The third-party suite both checks use (tools/thirdparty_test.sh,
# tools/coverage_thirdparty.sh): more-itertools installed from PyPI into
# the venv $1 (with pytest and coverage), its tests from the same release's
# sdist copied into a fresh run directory target/py/thirdparty/$2-<venv>,
# whose path it prints.
#   tools/thirdparty_prepare.sh VENV NAME
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$1"
ver=10.5.0
work=target/py/thirdparty
mkdir -p "$work"
"$venv/bin/pip" install -q --disable-pip-version-check "more-itertools==$ver" pytest coverage >&2
if [ ! -d "$work/more-itertools-$ver/tests" ]; then
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: "more-itertools==$ver" -d "$work" >&2
  tar xzf "$work/more-itertools-$ver.tar.gz" -C "$work" "more-itertools-$ver/tests"
fi
run="$work/$2-$(basename "$venv")"
rm -rf "$run" && mkdir -p "$run" && cp -r "$work/more-itertools-$ver/tests" "$run/"
echo "$run"
