#!/usr/bin/env bash
# Builds every libFuzzer target into .build-fuzz/ with AddressSanitizer. Each harness is
# compiled together with the sources it exercises (no package build), so each target is one
# binary. Usage: Fuzz/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=.build-fuzz
mkdir -p "$out/objects" "$out/modules"
log="$out/build.log"
: >"$log"

swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6)
maps=(-Xcc "-fmodule-map-file=$root/Fuzz/CShim.modulemap"
      -Xcc "-fmodule-map-file=$root/Sources/CLibraries/CZlib/module.modulemap")

# The HTTP parsers alone: no Dispatch or socket code.
http_files=()
for name in ASCII Limits Status Headers ParseError Method RequestHead HeadBuilder ChunkLine \
            RequestParser Multipart Upload Request Response ResponseWriter Locked; do
    http_files+=("Sources/HTTP/$name.swift")
done
build_http() {
    swiftc "${swift_flags[@]}" -module-name HTTPFuzz "${http_files[@]}" "Fuzz/http/$2" -o "$out/$1"
}

# The C shim with ASan and UBSan (the ASan runtime carries UBSan's handlers).
build_shim() {
    for source in Sources/CShim/*.c; do
        clang -O1 -g -fsanitize=fuzzer-no-link,address,undefined -I Sources/CShim/include \
            $(pkg-config --cflags libpng) -c "$source" -o "$out/objects/$(basename "$source" .c).o"
    done
}

imaging_files() { find "$root/Sources/Imaging" -name '*.swift' | sort; }

build_imaging() {
    swiftc "${swift_flags[@]}" -module-name FuzzImaging "${maps[@]}" $(imaging_files) \
        Fuzz/imaging/FuzzDecode.swift "$out"/objects/*.o -ljpeg -lpng16 -o "$out/imaging-decode"
}

# Evaluation imports Imaging: Imaging is built as its own module beside it.
build_evaluation() {
    mkdir -p "$out/objects/imaging"
    (cd "$out/objects/imaging" && swiftc "${swift_flags[@]}" -wmo -module-name Imaging "${maps[@]}" \
        -emit-module -emit-module-path "$root/$out/modules/Imaging.swiftmodule" -c $(imaging_files))
    swiftc "${swift_flags[@]}" -module-name FuzzEvaluation -I "$out/modules" "${maps[@]}" \
        $(find Sources/Evaluation -name '*.swift' | sort) Fuzz/evaluation/FuzzDocuments.swift \
        "$out"/objects/*.o "$out"/objects/imaging/*.o -lz -ljpeg -lpng16 -o "$out/evaluation-documents"
}

step() {
    # The linker warns about every ASan symbol; show the log only when a step fails.
    if ! "$@" >>"$log" 2>&1; then
        grep -v 'Cannot export local symbol' "$log" >&2
        echo "fuzz: building failed at: $*" >&2
        exit 1
    fi
}
step build_http request-parser RequestParserFuzz.swift
step build_http multipart-parser MultipartParserFuzz.swift
step build_shim
step build_imaging
step build_evaluation
echo "fuzz: built request-parser multipart-parser imaging-decode evaluation-documents in $out/"
