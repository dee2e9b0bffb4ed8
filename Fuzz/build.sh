#!/usr/bin/env bash
# Builds the libFuzzer targets of the HTTP parsers into .build-fuzz/: the parser sources are
# compiled together with each harness (no Dispatch or socket code), with ASan and libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
sources=(ASCII Limits Status Headers ParseError Method RequestHead HeadBuilder ChunkLine RequestParser
         Multipart Request Response ResponseWriter Locked)
files=()
for name in "${sources[@]}"; do files+=("Sources/HTTP/$name.swift"); done
build() {
    local target=$1 harness=$2
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -module-name HTTPFuzz \
        "${files[@]}" "Fuzz/$harness" -o "$out/$target" >"$out/$target.log" 2>&1 \
        || { grep -v 'Cannot export local symbol' "$out/$target.log" >&2; exit 1; }
}
build request-parser-fuzz RequestParserFuzz.swift
build multipart-parser-fuzz MultipartParserFuzz.swift
echo "fuzz: built $out/request-parser-fuzz $out/multipart-parser-fuzz"
