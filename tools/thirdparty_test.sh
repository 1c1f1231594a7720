#!/usr/bin/env bash
# A third-party project's own test suite under `python -m pyrewrite run`:
# more-itertools (installed from PyPI into the venv $1, its tests from the
# same release's sdist) with inject-hook on the more_itertools package and
# the ready counter hook. Passes when the suite passes and the counts show
# that the package's functions ran through the hook.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$1"
ver=10.5.0
run="$(tools/thirdparty_prepare.sh "$venv" run)"
counts="$PWD/$run/counts.json"
py="$PWD/$venv/bin/python"
echo "thirdparty: more-itertools $ver tests under python -m pyrewrite run (inject-hook), $("$py" -c 'import sys; print(sys.version.split()[0])')"
(cd "$run" && PYREWRITE_COUNTS="$counts" "$py" -m pyrewrite run \
   --pass inject-hook --param hook=pyrewrite.hooks:count --include 'more_itertools' --include 'more_itertools.*' \
   -m pytest -q -p no:cacheprovider tests | tail -3)
"$py" - "$counts" <<'PY'
import json, sys
import more_itertools.more as more, more_itertools.recipes as recipes
counts = json.load(open(sys.argv[1]))
public = set(more.__all__) | set(recipes.__all__)
hit = sorted(q for q in counts if q in public)
print("thirdparty: %d functions hooked, %d of %d public more_itertools functions ran, %d calls in all"
      % (len(counts), len(hit), len(public), sum(counts.values())))
# NB: the suite exercises nearly every public function; a hook that did
# not fire (or code not rewritten) leaves this near zero.
assert len(hit) > 0.8 * len(public), hit
PY
