#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time (default 60 s) from its seed
# corpus; prints executions and crashes and exits non-zero when a target found anything.
# Usage: Fuzz/run.sh [seconds] [target ...]   (targets: see the table below)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true

# target            seed corpus                        max input bytes
targets=(
    "request-parser       Fuzz/corpus/request-parser       8192"
    "multipart-parser     Fuzz/corpus/multipart-parser     8192"
    "imaging-decode       Tests/ImagingTests/Fixtures      65536"
    "evaluation-documents ../shared/eval-cases             16384"
)

Fuzz/build.sh
export SWIFT_BACKTRACE=enable=no
status=0
for entry in "${targets[@]}"; do
    read -r target seeds max_len <<<"$entry"
    if (($#)) && [[ " $* " != *" $target "* ]]; then continue; fi
    work=$(mktemp -d)
    mkdir -p "$work/corpus" "$work/artifacts"
    set +e
    ".build-fuzz/$target" "$work/corpus" "$seeds" -max_total_time="$seconds" -max_len="$max_len" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        >"$work/log" 2>&1
    code=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo 0)
    peak=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo '?')
    crashes=$(find "$work/artifacts" -type f | wc -l)
    echo "fuzz: $target: $runs executions in $seconds s, $crashes crashes, peak RSS $peak MB (exit $code)"
    if [ "$code" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1
        tail -40 "$work/log"
        mkdir -p .build-fuzz/findings
        for artifact in "$work"/artifacts/*; do
            [ -f "$artifact" ] || continue
            cp "$artifact" ".build-fuzz/findings/$target-$(basename "$artifact")"
            echo "fuzz: input kept as .build-fuzz/findings/$target-$(basename "$artifact")"
        done
    fi
    rm -rf "$work"
done
exit $status
