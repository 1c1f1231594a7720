#!/usr/bin/env bash
# Prints the path of a CPython interpreter of version $1 (e.g. 3.12), found
# as the Rust oracle tests find them: PYREWRITE_PYTHONS (3.12=/path,...),
# then python3.12 on PATH, then pyenv. Prints nothing (exit 1) if none.
set -euo pipefail
v="$1"
if [ -n "${PYREWRITE_PYTHONS:-}" ]; then
  IFS=',' read -ra specs <<< "$PYREWRITE_PYTHONS"
  for s in "${specs[@]}"; do
    if [ "${s%%=*}" = "$v" ] && [ -x "${s#*=}" ]; then echo "${s#*=}"; exit 0; fi
  done
fi
# NB: a pyenv shim is on PATH even when it cannot run that version: try it.
if command -v "python$v" >/dev/null 2>&1 && "python$v" -c "" >/dev/null 2>&1; then command -v "python$v"; exit 0; fi
if command -v pyenv >/dev/null 2>&1; then
  for full in $(pyenv versions --bare 2>/dev/null); do
    case "$full" in "$v".*) p="$(pyenv prefix "$full")/bin/python$v"; [ -x "$p" ] && { echo "$p"; exit 0; } ;; esac
  done
fi
exit 1
