#!/usr/bin/env bash
# Run a CPython version's own regression tests against its standard library
# instrumented with inject-hook.
#
#   tools/hook/stdlib_regression.sh VERSION [TEST...]      e.g. 3.12 test_json test_heapq
#
# 1. compiles the interpreter's pure-Python stdlib (without Lib/test) to
#    sourceless legacy-layout .pyc files in $WORK/plain (co_filename = the
#    real source path, so tracebacks still show source lines);
# 2. instruments them with `pyrewrite --pass inject-hook
#    --param hook=pyrewrite_hook_count:hook` into $WORK/hooked and copies
#    tools/hook/pyrewrite_hook_count.py there;
# 3. checks that `import json` really loads $WORK/hooked/json/__init__.pyc;
# 4. runs `python -m test TEST...` with PYTHONPATH=$WORK/hooked (3.11+:
#    -X frozen_modules=off, so os, site, codecs... are loaded from there too);
#    tests that fail are re-run once against $WORK/plain and against the
#    untouched stdlib to tell instrumentation faults from sourceless-layout
#    or environment ones;
# 5. adds up the per-process hook counts (PYREWRITE_HOOK_DIR) and prints a
#    summary: entries, distinct qualnames, the most entered ones.
#
# Env: WORK (default target/hook-stdlib/VERSION), PYREWRITE (the binary;
# default: cargo build --release), PYTHON (the interpreter; default:
# python3.X on PATH, then pyenv), JOBS (regrtest -j, default 0 = in process).
# Exit status: regrtest's (0 when every test passed instrumented), 1 when the
# instrumented copy is not the one imported or no hook entry was counted.
set -euo pipefail

VERSION=${1:?usage: $0 VERSION [TEST...]}
shift
TESTS=("$@")
if [ ${#TESTS[@]} -eq 0 ]; then
  TESTS=(test_json test_textwrap test_heapq)
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$ROOT/target/hook-stdlib/$VERSION}
JOBS=${JOBS:-0}

find_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  local best
  best=$(ls -d "$root"/versions/"$VERSION".* 2>/dev/null | grep -E "/$VERSION\.[0-9]+$" | sort -t. -k3 -n | tail -1 || true)
  if [ -n "$best" ] && [ -x "$best/bin/python$VERSION" ]; then echo "$best/bin/python$VERSION"; return; fi
  # NB: a pyenv shim is on PATH even when it cannot run that version
  if command -v "python$VERSION" >/dev/null 2>&1 && "python$VERSION" -c pass 2>/dev/null; then command -v "python$VERSION"; return; fi
  echo "no CPython $VERSION found (pyodide 3.14 has no Lib/test)" >&2
  exit 2
}
PY=$(find_python)
if [ -z "${PYREWRITE:-}" ]; then
  (cd "$ROOT" && cargo build --release --quiet)
  PYREWRITE=${CARGO_TARGET_DIR:-$ROOT/target}/release/pyrewrite
fi
echo "== $("$PY" -c 'import sys; print(sys.version.split()[0])') ($PY), work dir $WORK"

# 1-2. compile and instrument (redone when the interpreter or pyrewrite changed)
stamp="$("$PY" -c 'import sys; print(sys.version)') $(stat -c %Y "$PYREWRITE")"
if [ "$(cat "$WORK/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  rm -rf "$WORK/plain" "$WORK/hooked"
  mkdir -p "$WORK"
  "$PY" "$ROOT/tools/oracle/compile_tree.py" --stdlib "$WORK/plain"
  rm -rf "$WORK/plain/test"  # NB: tests run from the real Lib/test (data files, sources)
  "$PYREWRITE" --pass inject-hook --param hook=pyrewrite_hook_count:hook -q "$WORK/plain" "$WORK/hooked"
  echo "$stamp" > "$WORK/.stamp"
fi
cp "$ROOT/tools/hook/pyrewrite_hook_count.py" "$WORK/hooked/"
echo "instrumented: $(find "$WORK/hooked" -name '*.pyc' | wc -l) .pyc files"

XOPT=()
if "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then XOPT=(-X frozen_modules=off); fi
export PYTHONDONTWRITEBYTECODE=1

# 3. the instrumented files are the ones imported
loaded=$(PYTHONPATH="$WORK/hooked" "$PY" "${XOPT[@]}" -c 'import json, os; print(json.__file__); print(os.__file__)')
echo "loaded: $(echo "$loaded" | tr '\n' ' ')"
case "$loaded" in
  "$WORK/hooked/json/__init__.pyc"*) ;;
  *) echo "FAIL: json was not loaded from $WORK/hooked" >&2; exit 1 ;;
esac

# 4. the tests
COUNTS="$WORK/counts"
rm -rf "$COUNTS"; mkdir -p "$COUNTS"
LOG="$WORK/regrtest.log"
set +e
PYTHONPATH="$WORK/hooked" PYREWRITE_HOOK_DIR="$COUNTS" \
  "$PY" "${XOPT[@]}" -m test -j "$JOBS" "${TESTS[@]}" > "$LOG" 2>&1
status=$?
set -e
tail -n 25 "$LOG" | sed -n '/== Tests result\|tests\? OK\|failed\|skipped\|Total duration\|Result:/p'

# the names regrtest lists after "N test(s) failed:" (wrapped lines)
failed=$(awk '/tests? failed:$/ {on=1; next} on && /^    / {print; next} {on=0}' "$LOG" | tr -s ' ' '\n' | grep '^test' | sort -u || true)
if [ -n "$failed" ]; then
  for where in plain stdlib; do
    if [ "$where" = plain ]; then pp="$WORK/plain"; else pp=""; fi
    set +e
    PYTHONPATH="$pp" "$PY" "${XOPT[@]}" -m test $failed > "$WORK/rerun-$where.log" 2>&1
    set -e
    echo "re-run of the failed tests against $where: $(grep -E '^Result:|== Tests result' "$WORK/rerun-$where.log" | tail -1)"
  done
fi

# 5. hook counts
"$PY" - "$COUNTS" <<'EOF'
import glob, sys
totals = {}
files = glob.glob(sys.argv[1] + "/hook-*.tsv")
for path in files:
    with open(path, encoding="utf-8") as f:
        for line in f:
            n, q = line.rstrip("\n").split("\t", 1)
            totals[q] = totals.get(q, 0) + int(n)
entries = sum(totals.values())
print("hook: %d entries, %d distinct qualnames, %d process(es) reported" % (entries, len(totals), len(files)))
for q, n in sorted(totals.items(), key=lambda kv: -kv[1])[:8]:
    print("  %10d  %s" % (n, q))
sys.exit(0 if entries else 1)
EOF
exit $status
