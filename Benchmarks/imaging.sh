#!/usr/bin/env bash
# Imaging's JPEG/PNG decode and bilinear resize against Pillow (its peer and reference) on
# every dev image: release build, median of REPEATS runs of the whole set, ratio Swift/Pillow
# (below 1 = faster than Pillow). Pillow runs single-threaded; the Swift resize splits the
# horizontal pass of a large image (over 2^20 taps) over every core, as a served pair does.
# Usage: Benchmarks/imaging.sh [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-15}
build=.build-bench/imaging
mkdir -p "$build/objects"
for source in Sources/CShim/*.c; do
    clang -O2 -I Sources/CShim/include $(pkg-config --cflags libpng) -c "$source" \
        -o "$build/objects/$(basename "$source" .c).o"
done
swiftc -O -module-name ImagingBench -Xcc -fmodule-map-file=Fuzz/CShim.modulemap -Xcc -fmodule-map-file=Sources/CLibraries/CZlib/module.modulemap \
    $(find Sources/Imaging -name '*.swift' | sort) Benchmarks/imaging/main.swift \
    "$build"/objects/*.o -ljpeg -lpng16 -o "$build/imaging-bench" 2>"$build/build.log" \
    || { cat "$build/build.log" >&2; exit 1; }

mapfile -t images < <(find ../shared/data -path '*/images/*' -type f | sort)
echo "imaging: ${#images[@]} dev images, median of $repeats runs of the whole set"
"$build/imaging-bench" "$repeats" "${images[@]}" >"$build/swift.txt"
.venv/bin/python Benchmarks/imaging/pillow_bench.py "$repeats" "${images[@]}" >"$build/pillow.txt"
printf '%-12s %10s %10s %8s\n' operation swift_ms pillow_ms ratio
join "$build/swift.txt" "$build/pillow.txt" | while read -r name swift pillow; do
    awk -v n="$name" -v s="$swift" -v p="$pillow" 'BEGIN { printf "%-12s %10.2f %10.2f %8.2f\n", n, s, p, s / p }'
done
