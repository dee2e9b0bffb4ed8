#!/usr/bin/env bash
# HTTP server benchmark: `dpcl serve` against a minimal Hummingbird 2 server (built from the
# benchmark-only package Benchmarks/HummingbirdPeer), both release builds, GET /healthz with
# keep-alive under wrk -t2 at 64 and 256 connections, 10 s each. Three interleaved rounds;
# the table shows medians: requests/s, p50 and p99 latency, socket errors, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
duration=${DURATION:-10s}

command -v wrk >/dev/null || { echo "http.sh: wrk is missing (scripts/setup installs it)" >&2; exit 1; }
build_log=$(mktemp)
swift build -c release --product dpcl >"$build_log" 2>&1 || { cat "$build_log" >&2; exit 1; }
(cd Benchmarks/HummingbirdPeer && swift build -c release >"$build_log" 2>&1) || { cat "$build_log" >&2; exit 1; }
rm -f "$build_log"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

.build/release/dpcl serve --host 127.0.0.1 --port 0 --config Benchmarks/bench-server.yaml \
    --data-dir "$work/data" >"$work/dpcl.out" 2>"$work/dpcl.err" &
pids+=($!)
for _ in $(seq 100); do grep -q 'port' "$work/dpcl.out" 2>/dev/null && break; sleep 0.1; done
dpcl_port=$(grep -o 'port [0-9]*' "$work/dpcl.out" | head -1 | cut -d' ' -f2)

hb_port=18081
while (exec 3<>"/dev/tcp/127.0.0.1/$hb_port") 2>/dev/null; do hb_port=$((hb_port + 1)); done
Benchmarks/HummingbirdPeer/.build/release/HummingbirdPeer "$hb_port" >"$work/hb.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hb_port/healthz" >/dev/null && break; sleep 0.1; done

curl -sf "http://127.0.0.1:$dpcl_port/healthz" >/dev/null || { echo "dpcl did not start" >&2; cat "$work/dpcl.err" >&2; exit 1; }
curl -sf "http://127.0.0.1:$hb_port/healthz" >/dev/null || { echo "hummingbird did not start" >&2; exit 1; }

# One wrk run -> "rps p50_ms p99_ms errors"
measure() {
    local port=$1 connections=$2
    wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port/healthz" | awk '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Socket errors:/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }
        /Non-2xx/ { errors += $NF }
        END { printf "%s %.3f %.3f %d\n", rps, p50, p99, errors + 0 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "warming up"
wrk -t2 -c64 -d2s "http://127.0.0.1:$dpcl_port/healthz" >/dev/null
wrk -t2 -c64 -d2s "http://127.0.0.1:$hb_port/healthz" >/dev/null

for connections in 64 256; do
    for round in $(seq "$rounds"); do
        measure "$dpcl_port" "$connections" >>"$work/dpcl-$connections"
        measure "$hb_port" "$connections" >>"$work/hb-$connections"
    done
done

printf '\nGET /healthz, wrk -t2 -d%s, keep-alive, median of %s rounds\n' "$duration" "$rounds"
printf '%-12s %6s %12s %10s %10s %8s\n' server conns 'req/s' 'p50 ms' 'p99 ms' errors
for connections in 64 256; do
    for server in dpcl hb; do
        file="$work/$server-$connections"
        rps=$(cut -d' ' -f1 "$file" | median)
        p50=$(cut -d' ' -f2 "$file" | median)
        p99=$(cut -d' ' -f3 "$file" | median)
        errors=$(awk '{ s += $4 } END { print s + 0 }' "$file")
        name=$([ "$server" = dpcl ] && echo dpcl || echo hummingbird)
        printf '%-12s %6s %12.0f %10.3f %10.3f %8s\n' "$name" "$connections" "$rps" "$p50" "$p99" "$errors"
        eval "${server}_rps_$connections=$rps; ${server}_p99_$connections=$p99"
    done
done
for connections in 64 256; do
    eval "d=\$dpcl_rps_$connections; h=\$hb_rps_$connections; dp=\$dpcl_p99_$connections; hp=\$hb_p99_$connections"
    awk -v c="$connections" -v d="$d" -v h="$h" -v dp="$dp" -v hp="$hp" \
        'BEGIN { printf "c=%s: throughput ratio dpcl/hummingbird = %.2f, p99 ratio = %.2f\n", c, d / h, dp / hp }'
done
