#!/usr/bin/env bash
# A fuzzing campaign: each libFuzzer target of the `fuzz` preset (ASan+UBSan, clang-19) runs SECONDS on a copy of its
# committed corpus; the new inputs are merged back into tests/fuzz/corpus/<target>/ (minimised with -merge=1), and a
# crash stops the campaign with the reproducer kept. One line per target: executions, speed, coverage, corpus size.
# Usage: tests/fuzz/campaign.sh SECONDS [TARGET...]   (after `cmake --preset fuzz && cmake --build --preset fuzz`)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:?usage: tests/fuzz/campaign.sh SECONDS [TARGET...]}
shift
bin=build/fuzz/tests/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(ls tests/fuzz/corpus)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
    [ -x "$bin/$target" ] || { echo "no fuzz target $bin/$target (build the fuzz preset)" >&2; exit 4; }
    corpus=tests/fuzz/corpus/$target
    mkdir -p "$work/$target/new" "$work/$target/artifacts"
    log=$work/$target/log
    status=0
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        "$bin/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$work/$target/artifacts/" "$work/$target/new" "$corpus" >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    if [ "$status" -ne 0 ]; then
        mkdir -p build/fuzz/crashes
        cp "$work/$target/artifacts/"* build/fuzz/crashes/ 2>/dev/null || true
        tail -60 "$log" >&2
        echo "FUZZ target=$target FAILED exit=$status runs=$runs (reproducers in build/fuzz/crashes/)"
        exit 6
    fi
    before=$(ls "$corpus" | wc -l)
    "$bin/$target" -merge=1 "$corpus" "$work/$target/new" >"$work/$target/merge.log" 2>&1
    after=$(ls "$corpus" | wc -l)
    echo "FUZZ target=$target seconds=$seconds runs=$runs exec_per_sec=$speed cov=$cov corpus=$before->$after"
done
