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
# the accepted mutants run in one python3.X (tools/oracle/run_forked.py:
# a forked child each, stdin closed, a 4 s limit). Exit status: 0 when no mutant
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
bin="${CARGO_TARGET_DIR:-target}/release/examples/mutants"
crashed=0
for v in "${versions[@]}"; do
  py=$(tools/python_for.sh "$v" || true)
  [ -n "$py" ] || { echo "$v: no interpreter, skipped"; continue; }
  out="$work/$v"
  summary=$("$bin" "corpus/pyc/$v" "$count" "$out" "$seed" | tail -1)
  # NB: one interpreter forks a child per mutant (tools/oracle/run_forked.py).
  # NB: xargs splits a long list into several runs, each with its own
  # summary line; they are summed here.
  find "$out" -name '*.pyc' -print0 | xargs -0 -r "$py" tools/oracle/run_forked.py --timeout 4 --jobs 2 > "$out/run.log" || true
  ran=$(awk '/^ran /{r+=$2; c+=$3; t+=$5} END{printf "ran %d: %d crashed, %d timed out", r, c, t}' "$out/run.log")
  signals=$(grep -c '^crash ' "$out/run.log" || true)
  { grep '^crash ' "$out/run.log" || true; } | while read -r _ sig f; do echo "  crash ($sig): $(cat "${f%.pyc}.txt")"; done
  echo "$v: $summary; ${ran:-ran 0}"
  crashed=$((crashed + signals))
done
[ "$crashed" = 0 ]
