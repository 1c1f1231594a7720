#!/usr/bin/env bash
# Mutants: corpus code with a few random bytes changed that the verifier
# accepts, run in the interpreter it is for; prints how many died of a
# signal (a crash the verifier should have prevented). See docs/verifier.md.
#
#   tools/mutants.sh [VERSION...] [--count N] [--seed S] [--keep DIR]
#
# VERSIONs are 3.X (default 3.8 .. 3.13; 3.14 needs pyodide, whose wasm
# build does not segfault the same way, so it is not run). Per version:
# `cargo run --release --example mutants -- corpus/pyc/3.X N DIR S`, then
# each accepted mutant runs as `python3.X -c 'exec(marshal.loads(...))'`
# with stdin closed and a 4 s limit. Exit status: 0 when no mutant
# crashed, 1 otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
versions=() count=1500 seed=11400714819323198485 keep=
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift ;;
    --seed) seed=$2; shift ;;
    --keep) keep=$2; shift ;;
    3.*) versions+=("$1") ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ ${#versions[@]} -gt 0 ] || versions=(3.8 3.9 3.10 3.11 3.12 3.13)
work=${keep:-$(mktemp -d)}
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
cd "$root"
cargo build --release --example mutants -q
crashed=0
for v in "${versions[@]}"; do
  py=$(command -v "python$v" || true)
  if [ -z "$py" ] && command -v pyenv >/dev/null; then
    pv=$(pyenv versions --bare | grep "^$v\." | sort -t. -k3 -n | tail -1 || true)
    [ -z "$pv" ] || py="$(pyenv prefix "$pv")/bin/python3"
  fi
  [ -n "$py" ] || { echo "$v: no interpreter, skipped"; continue; }
  out="$work/$v"
  summary=$(target/release/examples/mutants "corpus/pyc/$v" "$count" "$out" "$seed" | tail -1)
  n=0 signals=0 timeouts=0
  for f in "$out"/*.pyc; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    rc=0
    timeout -s KILL 4 "$py" -c 'import marshal, sys; exec(marshal.loads(open(sys.argv[1], "rb").read()[16:]), {"__name__": "__main__"})' "$f" \
      >/dev/null 2>&1 </dev/null || rc=$?
    if [ "$rc" = 137 ]; then
      timeouts=$((timeouts + 1))
    elif [ "$rc" -gt 128 ]; then
      signals=$((signals + 1))
      echo "  crash (signal $((rc - 128))): $(cat "${f%.pyc}.txt")"
    fi
  done
  echo "$v: $summary; ran $n: $signals crashed, $timeouts timed out"
  crashed=$((crashed + signals))
done
[ "$crashed" = 0 ]
