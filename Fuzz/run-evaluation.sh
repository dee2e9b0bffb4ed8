#!/usr/bin/env bash
# Builds the libFuzzer target over Evaluation's readers (ASan + libFuzzer; Imaging built as a
# module beside it) and runs it for FUZZ_SECONDS (default 30) from the acceptance cases as
# seed corpus. Fails on any finding.
# Usage: Fuzz/run-evaluation.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-30}}
build=.build-fuzz/evaluation
mkdir -p "$build/corpus" "$build/objects" "$build/modules"
shared=../shared/eval-cases
for file in "$shared"/*/pred*.json "$shared"/*/gt.json; do
    [ -f "$file" ] && cp "$file" "$build/corpus/$(basename "$(dirname "$file")")-$(basename "$file")"
done

log="$build/build.log"
: >"$log"
build_fuzzer() {
    local sanitizers=fuzzer-no-link,address
    for source in Sources/CShim/*.c; do
        clang -O1 -g -fsanitize="$sanitizers" -I Sources/CShim/include $(pkg-config --cflags libpng) \
            -c "$source" -o "$build/objects/$(basename "$source" .c).o"
    done
    local root
    root=$(pwd)
    local maps=(-Xcc "-fmodule-map-file=$root/Fuzz/imaging/module.modulemap"
                -Xcc "-fmodule-map-file=$root/Sources/CLibraries/CZlib/module.modulemap")
    # Imaging as its own module (Evaluation imports it), its objects beside the shim's.
    (cd "$build/objects" && swiftc -O -g -sanitize=fuzzer,address -parse-as-library -wmo -module-name Imaging \
        "${maps[@]}" -emit-module -emit-module-path "$root/$build/modules/Imaging.swiftmodule" -c \
        $(find "$root/Sources/Imaging" -name '*.swift' | sort))
    swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name FuzzEvaluation -I "$build/modules" \
        "${maps[@]}" $(find Sources/Evaluation -name '*.swift' | sort) Fuzz/evaluation/FuzzDocuments.swift \
        "$build"/objects/*.o -lz -ljpeg -lpng16 -o "$build/fuzz-evaluation"
}
if ! build_fuzzer >>"$log" 2>&1; then
    grep -v "Cannot export local symbol" "$log" >&2
    echo "fuzz: building the Evaluation fuzzer failed" >&2
    exit 1
fi

echo "fuzz: running Evaluation readers for ${seconds}s"
status=0
"$build/fuzz-evaluation" -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$build/" "$build/corpus" >"$build/fuzz.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    tail -n 80 "$build/fuzz.log" >&2
    echo "fuzz: FAILED (status $status); the input is under $build/" >&2
    exit "$status"
fi
grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$build/fuzz.log"
echo "fuzz: evaluation ok, 0 crashes"
