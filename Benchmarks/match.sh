#!/usr/bin/env bash
# Latency of POST /v1/match through curl over the dev pairs at default settings, against
# the backbone's forward time at each image's input size measured in the same run: a pair
# should cost at most 2.4 forwards (two forwards plus 20% for the rest), and at most 1.3
# when the source's features are cached. Images are made unique per request (a few pixels
# marked, saved as JPEG like the dev images) so that only a repeated source can come from
# the cache.
# Environment: ROUNDS (default 3), FORWARDS (timed forwards per input size, default 7).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
forwards=${FORWARDS:-7}
dpcl=.build/release/dpcl
python=.venv/bin/python
[ -x "$dpcl" ] || swift build -c release --product dpcl >/dev/null
scripts/fetch-model >/dev/null
shared=${DPCL_SHARED:-../shared}
[ -d "$shared/data" ] || { echo "match.sh: no dev data at $shared/data" >&2; exit 1; }

work=$(mktemp -d)
server=""
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores;" \
     "OpenBLAS kernel $("$dpcl" doctor 2>/dev/null | awk '/openblas/ {for (i=1;i<=NF;i++) if ($i=="core") print $(i+1)}' | tr -d ,)"

# The server, with the repository's config; cache on (the product's default).
mkdir -p "$work/data"
"$dpcl" serve --port 0 --data-dir "$work/data" --config Config/server.yaml >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 600); do
    port=$(awk '/listening on/ {print $NF; exit}' "$work/serve.out" 2>/dev/null || true)
    [ -n "$port" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break
    sleep 0.2
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] \
    || { echo "match.sh: the server did not become ready" >&2; cat "$work/serve.err" >&2; exit 1; }

"$python" Benchmarks/match/latency.py --shared "$shared" --port "$port" --dpcl "$dpcl" --work "$work" \
    --rounds "$rounds" --forwards "$forwards"
