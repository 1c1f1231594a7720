#!/usr/bin/env bash
# Benchmark: pyrewrite's .pyc read/write vs CPython's marshal.loads/dumps on
# the whole standard library of one CPython version, single-threaded.
#
#   tools/bench/marshal.sh [VERSION] [--iters N] [--warmup N] [--rounds R] [--json] [--save FILE]
#
# VERSION is 3.X (default 3.12). The interpreter is env PYREWRITE_BENCH_PYTHON,
# else python3.X on PATH, else the newest pyenv 3.X.*, else (3.14+) pyodide
# under node (then the CPython side runs as WebAssembly: not a fair fight).
# Its stdlib is compiled once with tools/oracle/compile_tree.py --stdlib into
# $PYREWRITE_BENCH_CACHE (default ~/.cache/pyrewrite/bench)/stdlib-3.X.Y.
# Then R rounds (default 3) alternate benches/marshal.rs and
# tools/bench/marshal_bench.py, each N timed passes (default 5) after the
# warm-up; tools/bench/report.py pools the passes and prints the table
# (or JSON with --json; --save FILE also writes the JSON to FILE).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version=3.12 iters=5 warmup=2 rounds=3 json= save=
while [ $# -gt 0 ]; do
  case "$1" in
    --iters) iters=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --json) json=--json ;;
    --save) save=$2; shift ;;
    3.*) version=$1 ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
  shift
done
minor=${version#3.}

# --- find the interpreter: py=(command...) -----------------------------------
ask='import sys; print("%d.%d.%d" % sys.version_info[:3])'
py=()
try() { # try CMD...: use it if it answers with the right 3.X
  local v
  v=$("$@" -c "$ask" 2>/dev/null) || return 1
  [ "${v%.*}" = "$version" ] || return 1
  py=("$@"); micro=$v
}
if [ -n "${PYREWRITE_BENCH_PYTHON:-}" ]; then
  # shellcheck disable=SC2086
  try $PYREWRITE_BENCH_PYTHON || { echo "PYREWRITE_BENCH_PYTHON is not CPython $version" >&2; exit 2; }
fi
[ ${#py[@]} -gt 0 ] || ! command -v "python$version" >/dev/null || try "python$version" || true
if [ ${#py[@]} -eq 0 ]; then
  pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  for d in $(ls -d "$pyenv_root/versions/$version".* 2>/dev/null | sort -t. -k3 -n -r); do
    try "$d/bin/python3" && break
  done
fi
if [ ${#py[@]} -eq 0 ] && [ "$minor" -ge 14 ] && [ -d "$root/node_modules/py3$minor" ]; then
  PYREWRITE_PYODIDE=py3$minor try node "$root/tools/pyodide/run.mjs" && export PYREWRITE_PYODIDE=py3$minor
fi
[ ${#py[@]} -gt 0 ] || { echo "no CPython $version found" >&2; exit 2; }
# NB: a native interpreter's real path, so pyenv shims are not timed or re-resolved
if [ "${py[0]}" != node ]; then
  exe=$("${py[@]}" -c 'import sys; print(sys.executable)')
  py=("$exe")
fi
host_py=python3
[ "${py[0]}" = node ] || host_py=${py[0]}

# --- compile (or reuse) its standard library ---------------------------------
cache=${PYREWRITE_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pyrewrite/bench}
dir=$cache/stdlib-$micro
if [ ! -f "$dir/.complete" ]; then
  echo "compiling the CPython $micro standard library into $dir" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  "${py[@]}" "$root/tools/oracle/compile_tree.py" --stdlib "$dir"
  touch "$dir/.complete"
fi

# --- build, then alternate the two sides --------------------------------------
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "building benches/marshal.rs (release)" >&2
cargo bench --bench marshal --no-run >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
# NB: run the built executable directly, so edits made during the run (other
# people's, in a shared checkout) cannot trigger a rebuild between rounds
bench=$(sed -n 's/^ *Executable benches\/marshal.rs (\(.*\))$/\1/p' "$tmp/build.log" | tail -1)
[ -x "$bench" ] || { cat "$tmp/build.log" >&2; echo "no bench executable found" >&2; exit 1; }
common=(--iters "$iters" --warmup "$warmup" --json)
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: pyrewrite" >&2
  "$bench" "$dir" "${common[@]}" >"$tmp/rust.$r.json"
  echo "round $r/$rounds: CPython $micro marshal" >&2
  "${py[@]}" "$root/tools/bench/marshal_bench.py" "$dir" "${common[@]}" >"$tmp/py.$r.json"
done
report=("$host_py" "$root/tools/bench/report.py"
  --label "stdlib of CPython $micro: pyrewrite vs marshal"
  --rust "$tmp"/rust.*.json --python "$tmp"/py.*.json)
[ -z "$save" ] || "${report[@]}" --json >"$save"
"${report[@]}" $json
