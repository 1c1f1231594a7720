#!/usr/bin/env bash
# Benchmark: pyrewrite's lift + CFG + stack depth + assemble + write of a
# whole standard library vs the `bytecode` library's round trip
# (Bytecode.from_code(c).to_code(), nested code objects included) of the
# same code objects, on the same interpreter's stdlib, single-threaded.
#
#   tools/bench/lift.sh [VERSION...] [--rounds R] [--iters N] [--py-iters N]
#                       [--jobs J] [--out DIR] [--json] [--save FILE]
#
# VERSIONs are 3.X (default 3.8 3.9 3.10 3.11 3.12 3.13). Per version: the
# interpreter is found as tools/bench/marshal.sh finds it (env
# PYREWRITE_BENCH_PYTHON only when one version is asked for); its stdlib is
# compiled once into $PYREWRITE_BENCH_CACHE (default
# ~/.cache/pyrewrite/bench)/stdlib-3.X.Y (shared with marshal.sh); a venv
# with a pinned `bytecode` goes next to it. Then R rounds (default 3)
# alternate tools/bench/bytecode_roundtrip.py (--py-iters passes, default
# 1; files `bytecode` fails on in round 1 are left out of every later run
# of both sides) and benches/lift.rs on exactly those files (--iters
# passes, default 5, after 1 warm-up). --jobs J runs J versions at once
# (each side stays single-threaded; wall times then suffer, thread CPU
# times much less). The JSON of every run goes to --out DIR (default a
# temporary directory); tools/bench/lift_report.py DIR pools the passes and
# prints one row per version (medians, wall and thread CPU). 3.14 needs
# pyodide (wasm) and is not run: see docs/benchmarks.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
versions=() rounds=3 iters=5 py_iters=1 jobs=1 json= save= outdir=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift ;;
    --iters) iters=$2; shift ;;
    --py-iters) py_iters=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --out) outdir=$2; shift ;;
    --json) json=--json ;;
    --save) save=$2; shift ;;
    3.*) versions+=("$1") ;;
    *) sed -n '2,24p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ ${#versions[@]} -gt 0 ] || versions=(3.8 3.9 3.10 3.11 3.12 3.13)
[ ${#versions[@]} -eq 1 ] || unset PYREWRITE_BENCH_PYTHON
cache=${PYREWRITE_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pyrewrite/bench}

# The newest `bytecode` release that supports each interpreter (PyPI
# classifiers and Requires-Python): 0.16.2 is the last with 3.8, 0.17.0 the
# last with 3.9 and 3.10, 0.19.1 covers 3.11-3.14.
bytecode_pin() {
  case "$1" in
    3.8) echo 0.16.2 ;;
    3.9 | 3.10) echo 0.17.0 ;;
    *) echo 0.19.1 ;;
  esac
}

# find_python 3.X: prints the interpreter's real path and X.Y.Z, or fails.
find_python() {
  local version=$1 ask='import sys; print(sys.executable, "%d.%d.%d" % sys.version_info[:3])' out cand
  local cands=()
  [ -z "${PYREWRITE_BENCH_PYTHON:-}" ] || cands+=("$PYREWRITE_BENCH_PYTHON")
  ! command -v "python$version" >/dev/null || cands+=("python$version")
  for d in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version".* 2>/dev/null | sort -t. -k3 -n -r); do
    cands+=("$d/bin/python3")
  done
  for cand in ${cands[@]+"${cands[@]}"}; do
    out=$("$cand" -c "$ask" 2>/dev/null) || continue
    v=${out##* }
    [ "${v%.*}" = "$version" ] && { echo "$out"; return 0; }
  done
  return 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$outdir" ]; then
  mkdir -p "$outdir"
  outdir=$(cd "$outdir" && pwd)
else
  outdir=$tmp/runs
fi
cd "$root"
echo "building benches/lift.rs (release)" >&2
cargo bench --bench lift --no-run >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
# NB: run the built executable directly, so edits made during the run (other
# people's, in a shared checkout) cannot trigger a rebuild between rounds
bench=$(sed -n 's/^ *Executable benches\/lift.rs (\(.*\))$/\1/p' "$tmp/build.log" | tail -1)
[ -x "$bench" ] || { cat "$tmp/build.log" >&2; echo "no bench executable found" >&2; exit 1; }

# run_version 3.X: prepares and runs every round of one version into $outdir/3.X.Y/.
run_version() {
  local version=$1 found exe micro pin dir venv out r
  found=$(find_python "$version") || { echo "no CPython $version found: skipped" >&2; return 0; }
  exe=${found% *} micro=${found##* } pin=$(bytecode_pin "$version")
  dir=$cache/stdlib-$micro
  if [ ! -f "$dir/.complete" ]; then
    echo "compiling the CPython $micro standard library into $dir" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    "$exe" "$root/tools/oracle/compile_tree.py" --stdlib "$dir"
    touch "$dir/.complete"
  fi
  venv=$cache/venv-$micro-bytecode-$pin
  if [ ! -f "$venv/.complete" ]; then
    echo "making $venv (pip install bytecode==$pin)" >&2
    rm -rf "$venv"
    "$exe" -m venv "$venv"
    "$venv/bin/python" -m pip install -q "bytecode==$pin"
    touch "$venv/.complete"
  fi
  out=$outdir/$micro
  rm -rf "$out" && mkdir -p "$out"
  for r in $(seq 1 "$rounds"); do
    echo "$micro round $r/$rounds: bytecode $pin" >&2
    if [ "$r" = 1 ]; then
      "$venv/bin/python" "$here/bytecode_roundtrip.py" "$dir" --iters "$py_iters" --json \
        --ok-list "$out/files.txt" >"$out/py.$r.json"
    else
      "$venv/bin/python" "$here/bytecode_roundtrip.py" "$dir" --iters "$py_iters" --json \
        --files "$out/files.txt" >"$out/py.$r.json"
    fi
    echo "$micro round $r/$rounds: pyrewrite" >&2
    PYREWRITE_BENCH_FILES=$out/files.txt "$bench" "$dir" --iters "$iters" --warmup 1 --json \
      >"$out/rust.$r.json"
  done
}

running=0
for v in "${versions[@]}"; do
  run_version "$v" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

report=(python3 "$here/lift_report.py" "$outdir")
[ -z "$save" ] || "${report[@]}" --json >"$save"
"${report[@]}" $json
