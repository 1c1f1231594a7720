#!/usr/bin/env bash
# Coverage-guided fuzzing of every stage (cargo-fuzz, nightly toolchain).
#
#   tools/fuzz.sh smoke [SECONDS]      every target for SECONDS (default 15): CI
#   tools/fuzz.sh long [RUNS] [TARGET] every target (or one) for RUNS executions
#                                      (default 10000000); logs in target/fuzz-logs
#   tools/fuzz.sh seed                 (re)build the seed corpora only
#
# Targets and the property each checks: fuzz/checks.rs. Seeds: the corpus
# .pyc files of every version, small standard-library .pyc files from the
# oracle cache (when tests built it) and the shipped pipelines; the
# working corpora live in target/fuzz-corpus (not committed). A crash
# stops the run with its input in fuzz/artifacts/TARGET/; minimise it
# (`cargo +nightly fuzz tmin TARGET FILE`) and save it under
# fuzz/regressions/TARGET/, where tests/fuzz_regressions.rs replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGETS=(parse_pyc lift_assemble passes dis_info config)
CORPUS=$ROOT/target/fuzz-corpus
mode=${1:-smoke}

need_tools() {
    if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        echo "fuzz: installing the nightly toolchain" >&2
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "fuzz: installing cargo-fuzz" >&2
        cargo install cargo-fuzz --locked
    fi
}

seed() {
    for t in "${TARGETS[@]}"; do mkdir -p "$CORPUS/$t"; done
    local n=0 f
    for t in parse_pyc lift_assemble passes dis_info; do
        local dir="$CORPUS/$t"
        while IFS= read -r f; do
            cp -n "$f" "$dir/$(echo "$f" | md5sum | cut -c1-16).pyc"
            n=$((n + 1))
        done < <(
            find corpus/pyc -name '*.pyc' -size -64k
            # NB: small stdlib files only: libFuzzer mutates small inputs
            # far faster, and every opcode still shows up in some of them.
            if [ -d target/oracle-cache ]; then
                find target/oracle-cache -path '*/stdlib/*' -name '*.pyc' -size -6k | sort | awk 'NR % 7 == 0'
            fi
        )
    done
    for f in passes/*.toml; do cp -n "$f" "$CORPUS/config/"; done
    printf 'inject-hook swap-const\nhook=m:f\nfrom=1\nto=2\n' > "$CORPUS/config/cli.txt"
    echo "fuzz: seeded $n pyc inputs over 4 targets, $(ls "$CORPUS/config" | wc -l) config inputs" >&2
}

run_target() { # TARGET then libFuzzer flags
    local t=$1
    shift
    local extra=()
    [ -d "fuzz/regressions/$t" ] && extra+=("fuzz/regressions/$t")
    # NB: -max_len bounds inputs libFuzzer grows itself; seeds stay whole.
    # -rss_limit_mb: bounded memory is a property too (issue 10).
    (cd fuzz && cargo +nightly fuzz run -O "$t" "$CORPUS/$t" "${extra[@]/#/$ROOT/}" -- \
        -max_len=65536 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 "$@")
}

case "$mode" in
seed)
    seed
    ;;
smoke)
    secs=${2:-15}
    need_tools
    seed
    (cd fuzz && cargo +nightly fuzz build -O)
    for t in "${TARGETS[@]}"; do
        echo "fuzz: $t for ${secs}s" >&2
        mkdir -p target/fuzz-logs
        log=target/fuzz-logs/$t.smoke.log
        status=0
        run_target "$t" -max_total_time="$secs" >"$log" 2>&1 || status=$?
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | tr '\n' ' ' >&2
        echo >&2
        if [ "$status" -ne 0 ]; then
            tail -40 "$log" >&2
            echo "fuzz: $t failed (exit $status); the input is in fuzz/artifacts/$t/" >&2
            exit 1
        fi
    done
    echo "fuzz: smoke run of ${#TARGETS[@]} targets passed" >&2
    ;;
long)
    runs=${2:-10000000}
    only=${3:-}
    need_tools
    seed
    (cd fuzz && cargo +nightly fuzz build -O)
    mkdir -p target/fuzz-logs
    for t in "${TARGETS[@]}"; do
        [ -n "$only" ] && [ "$t" != "$only" ] && continue
        log=target/fuzz-logs/$t.log
        echo "fuzz: $t for $runs runs (log: $log)" >&2
        start=$(date +%s)
        status=0
        run_target "$t" -runs="$runs" >"$log" 2>&1 || status=$?
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | tr '\n' ' ' >&2
        echo "in $(( $(date +%s) - start )) s, exit $status" >&2
        [ "$status" -eq 0 ] || { tail -40 "$log" >&2; exit 1; }
    done
    ;;
*)
    echo "usage: tools/fuzz.sh smoke [SECONDS] | long [RUNS] [TARGET] | seed" >&2
    exit 2
    ;;
esac
