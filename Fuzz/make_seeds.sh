#!/usr/bin/env bash
# Writes the small seed corpus of the fuzz targets (committed; rerun to regenerate).
set -euo pipefail
cd "$(dirname "$0")"
r=corpus/request-parser
m=corpus/multipart-parser
rm -rf "$r" "$m"
mkdir -p "$r" "$m"
printf 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n' >"$r/get"
printf 'GET http://a:1/p?q=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$r/absolute"
printf 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n' >"$r/asterisk"
printf 'POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello' >"$r/length"
printf 'POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b\\"c"\r\nhello\r\n0\r\nT: v\r\n\r\n' >"$r/chunked"
printf 'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\n\r\n' >"$r/pipelined"
printf 'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx' >"$r/duplicate-length"
printf 'GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n' >"$r/obs-fold"
printf 'multipart/form-data; boundary=B\n--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--B--\r\n' >"$m/one"
printf -- '--B\r\nContent-Disposition: form-data; name="f"; filename="a \\"b\\".png"\r\nContent-Type: image/png\r\n\r\n\x01\x02\r\n--B\r\nContent-Disposition: form-data; name=n\r\n\r\n\r\n--B--' >"$m/two"
printf 'preamble\r\n--B  \r\n\r\nno disposition\r\n--B--' >"$m/preamble"
