#!/usr/bin/env bash
# Latency of POST /v1/match through curl over the dev pairs at default settings, against
# the backbone's forward time at each image's input size measured in the same run: a pair
# should cost at most 2.4 forwards (two forwards plus 20% for the rest), and at most 1.3
# when the source's features are cached. Images are made unique per request (a few pixels
# marked, saved as JPEG like the dev images) so that only a repeated source can come from
# the cache; each pair is also sent a third time as it was (both images cached): the rest of
# a pair, which does not shrink with the backbone. One server per precision of the backbone (fp32, bf16, int8 and the model
# config's default), all in the same run, each pair sent to each in turn; the default's pair
# time should be at most 0.55 of fp32's.
# Environment: ROUNDS (default 3), FORWARDS (timed forwards per input size, default 7),
# PRECISIONS (default "fp32 bf16 int8 auto"; those this CPU cannot run are left out).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
forwards=${FORWARDS:-7}
dpcl=.build/release/dpcl
python=.venv/bin/python
[ -x "$dpcl" ] || swift build -c release --product dpcl >/dev/null
scripts/fetch-model >/dev/null
source Benchmarks/lib/runnable.sh
precisions=$(runnable "$dpcl" ${PRECISIONS:-fp32 bf16 int8 auto})
[ -n "$precisions" ] || exit 1
shared=${DPCL_SHARED:-../shared}
[ -d "$shared/data" ] || { echo "match.sh: no dev data at $shared/data" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores;" \
     "OpenBLAS kernel $("$dpcl" doctor 2>/dev/null | awk '/openblas/ {for (i=1;i<=NF;i++) if ($i=="core") print $(i+1)}' | tr -d ,)"

# A server per precision, with the repository's config and the model config's precision
# replaced; cache on (the product's default). All run at once (idle but for the request being
# timed), and every pair goes to each in turn, in rotating order: the machine's speed drifts
# over minutes, and servers timed one after another would each get a different machine.
servers=()
for precision in $precisions; do
    sed "s/\"precision\": \"[a-z0-9]*\"/\"precision\": \"$precision\"/" Config/models/dinov2-small.json >"$work/model-$precision.json"
    mkdir -p "$work/data-$precision"
    "$dpcl" serve --port 0 --data-dir "$work/data-$precision" --config Config/server.yaml \
        --model-config "$work/model-$precision.json" >"$work/serve-$precision.out" 2>"$work/serve-$precision.err" &
    pids+=("$!")
    port=""
    for _ in $(seq 600); do
        port=$(awk '/listening on/ {print $NF; exit}' "$work/serve-$precision.out" 2>/dev/null || true)
        [ -n "$port" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break
        sleep 0.2
    done
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] \
        || { echo "match.sh: the $precision server did not become ready" >&2; cat "$work/serve-$precision.err" >&2; exit 1; }
    in_force=$(curl -s "http://127.0.0.1:$port/v1/models" | "$python" -c "import json, sys; print(json.load(sys.stdin)['models'][0]['precision'])")
    echo "precision $precision: in force $in_force, port $port"
    servers+=("$precision=$port")
done

"$python" Benchmarks/match/latency.py --shared "$shared" --dpcl "$dpcl" --work "$work" \
    --rounds "$rounds" --forwards "$forwards" --summary "$work/summary.json" "${servers[@]}"

echo
"$python" - "$work/summary.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
print("| precision | median pair ms | cached source ms | both cached ms | median forward ms | pair / forward | pair / fp32 pair |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for p, s in summary.items():
    relative = f"{s['pair_ms'] / summary['fp32']['pair_ms']:.2f}" if "fp32" in summary else "-"
    print(f"| {p} | {s['pair_ms']:.1f} | {s['cached_ms']:.1f} | {s['rest_ms']:.1f} | {s['forward_ms']:.1f} | {s['pair_ratio']:.2f} | {relative} |")
PY
