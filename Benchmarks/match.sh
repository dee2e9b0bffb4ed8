#!/usr/bin/env bash
# Latency of POST /v1/match through curl over the dev pairs at default settings, against
# the backbone's forward time at each image's input size measured in the same run: a pair
# should cost at most 2.4 forwards (two forwards plus 20% for the rest), and at most 1.3
# when the source's features are cached. Images are made unique per request (a few pixels
# marked, saved as JPEG like the dev images) so that only a repeated source can come from
# the cache. One server per precision of the backbone (fp32, bf16, int8, then the model
# config's default), one after the other in the same run; the default's pair time should be
# at most 0.55 of fp32's.
# Environment: ROUNDS (default 3), FORWARDS (timed forwards per input size, default 7),
# PRECISIONS (default "fp32 bf16 int8 auto").
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
precisions=${PRECISIONS:-fp32 bf16 int8 auto}
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

# A server per precision, with the repository's config and the model config's precision
# replaced; cache on (the product's default).
for precision in $precisions; do
    sed "s/\"precision\": \"[a-z0-9]*\"/\"precision\": \"$precision\"/" Config/models/dinov2-small.json >"$work/model-$precision.json"
    rm -rf "$work/data" && mkdir -p "$work/data"
    "$dpcl" serve --port 0 --data-dir "$work/data" --config Config/server.yaml --model-config "$work/model-$precision.json" \
        >"$work/serve.out" 2>"$work/serve.err" &
    server=$!
    port=""
    for _ in $(seq 600); do
        port=$(awk '/listening on/ {print $NF; exit}' "$work/serve.out" 2>/dev/null || true)
        [ -n "$port" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break
        sleep 0.2
    done
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] \
        || { echo "match.sh: the server did not become ready" >&2; cat "$work/serve.err" >&2; exit 1; }
    in_force=$(curl -s "http://127.0.0.1:$port/v1/models" | "$python" -c "import json, sys; print(json.load(sys.stdin)['models'][0]['precision'])")
    echo
    echo "## precision $precision (in force: $in_force)"
    "$python" Benchmarks/match/latency.py --shared "$shared" --port "$port" --dpcl "$dpcl" --work "$work" \
        --rounds "$rounds" --forwards "$forwards" --precision "$precision" --summary "$work/summary-$precision.json"
    kill "$server"; wait "$server" 2>/dev/null || true
    server=""
done

echo
"$python" - "$work" $precisions <<'PY'
import json, os, sys
work, precisions = sys.argv[1], sys.argv[2:]
summary = {p: json.load(open(os.path.join(work, f"summary-{p}.json"))) for p in precisions}
print("| precision | median pair ms | cached source ms | median forward ms | pair / forward | pair / fp32 pair |")
print("| --- | --- | --- | --- | --- | --- |")
for p, s in summary.items():
    relative = f"{s['pair_ms'] / summary['fp32']['pair_ms']:.2f}" if "fp32" in summary else "-"
    print(f"| {p} | {s['pair_ms']:.1f} | {s['cached_ms']:.1f} | {s['forward_ms']:.1f} | {s['pair_ratio']:.2f} | {relative} |")
PY
