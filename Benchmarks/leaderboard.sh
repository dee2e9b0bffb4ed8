#!/usr/bin/env bash
# A MISC210K-size submission through the leaderboard: the eval benchmark's synthetic ground
# truth added with `dpcl leaderboard add-benchmark`, then its ~1 GB submission uploaded with
# curl to a live server (`-T`: curl streams the file; `--data-binary @` would read it all
# into memory first). Reports the upload time, the server's resident memory (idle, and
# the most seen during the upload, sampled every 50 ms), and the time until the submission
# is scored. Target: the upload leaves the server's RSS within 100 MB of idle.
set -euo pipefail
cd "$(dirname "$0")/.."

data=.bench-data/eval
swift build -c release --product dpcl >/dev/null
dpcl=.build/release/dpcl
generator=Benchmarks/eval/make_eval_data.swift
stamp=$(sha256sum "$generator" | cut -d' ' -f1)
if [ "$(cat "$data/stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "leaderboard: generating the synthetic benchmark and submission (once; shared with eval.sh)"
    mkdir -p "$data"
    swiftc -O "$generator" -o "$data/make_eval_data"
    "$data/make_eval_data" "$data"
    gzip -1 -c "$data/pred.json" >"$data/pred.json.gz"
    echo "$stamp" >"$data/stamp"
fi

work=$(mktemp -d)
server=""
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
start=$(date +%s.%N)
"$dpcl" leaderboard add-benchmark "$data/gt.json" --allow-leak --data-dir "$work/data" | tail -1
echo "add-benchmark: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
token=$("$dpcl" leaderboard create-team bench --data-dir "$work/data" | tail -1)

DPCL_SUBMISSION_QUOTA=0 "$dpcl" serve --port 0 --data-dir "$work/data" --model-config none \
    >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 100); do
    port=$(awk '/listening on/ {print $NF; exit}' "$work/serve.out" 2>/dev/null || true)
    [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
done
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
idle=$(rss_kb)

size=$(stat -c %s "$data/pred.json")
peak=$idle
curl -s -o "$work/answer.json" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -X POST -T "$data/pred.json" \
    "http://127.0.0.1:$port/v1/benchmarks/synthetic-misc210k/submissions" >"$work/curl.out" &
uploader=$!
while kill -0 "$uploader" 2>/dev/null; do
    now=$(rss_kb); ((now > peak)) && peak=$now
    sleep 0.05
done
wait "$uploader"
read -r status upload_s <"$work/curl.out"
[ "$status" = 202 ] || { echo "leaderboard: upload answered $status: $(cat "$work/answer.json")" >&2; exit 1; }
upload_peak=$peak
location=$(python3 -c 'import json,sys; print("/v1/submissions/%d" % json.load(open(sys.argv[1]))["id"])' "$work/answer.json")
uploaded=$(date +%s.%N)
while :; do
    state=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port$location" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$state" = done ] || [ "$state" = failed ] && break
    now=$(rss_kb); ((now > peak)) && peak=$now
    sleep 0.2
done
scored=$(awk -v s="$uploaded" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
awk -v b="$size" -v t="$upload_s" -v i="$idle" -v u="$upload_peak" -v p="$peak" -v s="$scored" -v state="$state" 'BEGIN {
    printf "\n| measure | value |\n|---|---|\n"
    printf "| submission | %.0f MB of JSON |\n", b / 1e6
    printf "| upload (curl, loopback, 202 answered) | %.1f s (%.0f MB/s) |\n", t, b / 1e6 / t
    printf "| server RSS idle | %.0f MB |\n", i / 1024
    printf "| server RSS, most seen during the upload | %.0f MB (+%.0f MB over idle; target: within 100 MB) |\n", u / 1024, (u - i) / 1024
    printf "| from 202 to %s | %s s |\n", state, s
    printf "| server RSS, most seen while scoring | %.0f MB (the evaluation holds the ground truth in memory) |\n", p / 1024
    printf "\ntarget (upload within 100 MB of idle): %s\n", (u - i < 102400 ? "met" : "MISSED")
}'
