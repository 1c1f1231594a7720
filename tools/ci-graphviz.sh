#!/usr/bin/env bash
# Installs graphviz (Debian's package) so tests/cli_cfg.rs renders the DOT
# of every corpus code object and pyrewrite cfg --format svg is tested.
# Without it those checks are skipped with a printed note. Meant for CI
# (.ci/run) and fresh machines; does nothing when `dot` is already there.
set -euo pipefail
if command -v dot >/dev/null 2>&1; then
  echo "graphviz: $(dot -V 2>&1)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "tools/ci-graphviz.sh: cannot install graphviz here (needs root and apt-get); cfg rendering checks will be skipped" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
echo "graphviz: $(dot -V 2>&1)"
