#!/usr/bin/env bash
# The backbone's forward time against onnxruntime running the same graph (CPU, same thread
# count, same machine, alternating rounds so that background load hits both alike), the
# GEMM throughput against one large cblas_sgemm, and the peak RSS of `dpcl embed` at 448.
# Environment: THREADS (default: all cores), ROUNDS (default 3), ITERATIONS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${THREADS:-$(nproc)}
rounds=${ROUNDS:-3}
iterations=${ITERATIONS:-20}
dpcl=.build/release/dpcl
python=.venv/bin/python
models=${DPCL_MODEL_DIR:-$HOME/.cache/dpcl/models}
[ -x "$dpcl" ] || swift build -c release --product dpcl >/dev/null
scripts/fetch-model >/dev/null

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for size in 224 448; do
    for round in $(seq "$rounds"); do
        echo "engine $("$dpcl" bench backbone --size "$size" --iterations "$iterations" --threads "$threads")" >>"$results"
        echo "onnxruntime $("$python" tools/onnx_backbone.py bench --onnx "$models/vit_s_focus.onnx" \
            --size "$size" --iterations "$iterations" --threads "$threads")" >>"$results"
    done
done
echo "sgemm $("$dpcl" bench sgemm --size 2048 --iterations 10 --threads "$threads")" >>"$results"

# Peak RSS of a real `dpcl embed` at 448 (weights loaded, one forward, output written).
input=$(mktemp --suffix=.npy)
output=$(mktemp --suffix=.npy)
"$python" -c "import numpy as np; np.save('$input', np.random.default_rng(0).standard_normal((3, 448, 448), dtype=np.float32))"
rss_kb=$( { /usr/bin/time -f "%M" "$dpcl" embed --input-npy "$input" --out "$output" --threads "$threads" >/dev/null; } 2>&1 | tail -1)
rm -f "$input" "$output"
weights_bytes=$(stat -c %s "$models/dinov2-small.safetensors")
echo "rss {\"peak_kb\": $rss_kb, \"weights_bytes\": $weights_bytes}" >>"$results"

"$python" - "$results" "$threads" "$rounds" "$iterations" <<'PY'
import json, statistics, sys
path, threads, rounds, iterations = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = [line.split(" ", 1) for line in open(path)]
runs = [(kind, json.loads(text)) for kind, text in rows]
sgemm = next(r for k, r in runs if k == "sgemm")
rss = next(r for k, r in runs if k == "rss")
print(f"backbone forward, DINOv2 ViT-S/14, {threads} threads; median of {iterations} forwards after "
      f"warm-up, per round; {rounds} alternating rounds, the median round shown")
print()
print("| size | engine ms | onnxruntime ms | ratio (target <= 0.80) | engine GFLOP/s | share of large sgemm |")
print("| --- | --- | --- | --- | --- | --- |")
for size in (224, 448):
    ours = [r for k, r in runs if k == "engine" and r["size"] == size]
    theirs = [r for k, r in runs if k == "onnxruntime" and r["size"] == size]
    ours_ms = statistics.median(r["median_ms"] for r in ours)
    theirs_ms = statistics.median(r["median_ms"] for r in theirs)
    gflops = statistics.median(r["gflops"] for r in ours)
    print(f"| {size} | {ours_ms:.1f} | {theirs_ms:.1f} | {ours_ms / theirs_ms:.2f} | {gflops:.0f} | "
          f"{gflops / sgemm['gflops']:.0%} |")
print()
print(f"plain cblas_sgemm 2048x2048x2048: {sgemm['gflops']:.0f} GFLOP/s ({sgemm['median_ms']:.1f} ms)")
limit_kb = (2 * rss["weights_bytes"] + 100 * 1024 * 1024) / 1024
print(f"peak RSS of dpcl embed at 448: {rss['peak_kb'] / 1024:.0f} MB "
      f"(limit 2 x weights + 100 MB = {limit_kb / 1024:.0f} MB)")
PY
