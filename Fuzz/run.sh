#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s) from the committed seed corpus and
# prints executions and crashes; exits non-zero when a target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
Fuzz/build.sh
export SWIFT_BACKTRACE=enable=no
status=0
for target in request-parser multipart-parser; do
    work=$(mktemp -d)
    log=$(mktemp)
    mkdir -p "$work/corpus" "$work/artifacts"
    set +e
    ".build-fuzz/$target-fuzz" "$work/corpus" "Fuzz/corpus/$target" -max_total_time="$seconds" \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/artifacts/" >"$log" 2>&1
    code=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    crashes=$(find "$work/artifacts" -type f | wc -l)
    echo "fuzz: $target: $runs executions in ${seconds} s, $crashes crashes (exit $code)"
    if [ "$code" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1
        tail -40 "$log"
        for artifact in "$work"/artifacts/*; do [ -f "$artifact" ] && { echo "crash input: $artifact"; xxd "$artifact" | head -20; }; done
    fi
    rm -rf "$work" "$log"
done
exit $status
