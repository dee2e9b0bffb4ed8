#!/usr/bin/env bash
# Builds the libFuzzer target over Imaging's decoders (ASan + UBSan + libFuzzer) and runs it
# for FUZZ_SECONDS (default 60) from the image fixtures as seed corpus. Fails on any finding.
# Usage: Fuzz/run-imaging.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
build=.build-fuzz/imaging
mkdir -p "$build/corpus" "$build/objects"
cp Tests/ImagingTests/Fixtures/*.png Tests/ImagingTests/Fixtures/*.jpg "$build/corpus/"

# The linker warns about every ASan symbol; keep its output for when the build fails.
log="$build/build.log"
: >"$log"
build_fuzzer() {
    local sanitizers=fuzzer-no-link,address,undefined
    for source in Sources/CShim/*.c; do
        clang -O1 -g -fsanitize="$sanitizers" -I Sources/CShim/include $(pkg-config --cflags libpng) \
            -c "$source" -o "$build/objects/$(basename "$source" .c).o"
    done
    swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name FuzzImaging \
        -Xcc -fmodule-map-file=Fuzz/imaging/module.modulemap \
        $(find Sources/Imaging -name '*.swift' | sort) Fuzz/imaging/FuzzDecode.swift \
        "$build"/objects/*.o -ljpeg -lpng16 -o "$build/fuzz-imaging"
}
if ! build_fuzzer >>"$log" 2>&1; then
    grep -v "Cannot export local symbol" "$log" >&2
    echo "fuzz: building the Imaging fuzzer failed" >&2
    exit 1
fi

echo "fuzz: running Imaging decoders for ${seconds}s"
# A finding makes libFuzzer exit non-zero and write crash-* (the input) under $build.
status=0
"$build/fuzz-imaging" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$build/" "$build/corpus" >"$build/fuzz.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    tail -n 80 "$build/fuzz.log" >&2
    echo "fuzz: FAILED (status $status); the input is under $build/" >&2
    exit "$status"
fi
grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$build/fuzz.log"
echo "fuzz: imaging ok, 0 crashes"
