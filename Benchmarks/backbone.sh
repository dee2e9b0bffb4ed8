#!/usr/bin/env bash
# The backbone's forward time against onnxruntime running the same graph (CPU, same thread
# count, same machine, alternating rounds so that background load hits both alike), the
# GEMM throughput against one large cblas_sgemm, and the peak RSS of `dpcl embed` at 448.
# When OPENBLAS_CORETYPE is set (it pins OpenBLAS's kernels), the engine is measured both
# as pinned and with OpenBLAS's own choice for this CPU, since onnxruntime picks its own.
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

variants=("engine=env")
[ -z "${OPENBLAS_CORETYPE:-}" ] || variants+=("engine-auto=env -u OPENBLAS_CORETYPE")

results=$(mktemp)
trap 'rm -f "$results"' EXIT
load_before=$(cut -d' ' -f1 /proc/loadavg)
for round in $(seq "$rounds"); do
    for size in 224 448; do
        for variant in "${variants[@]}"; do
            echo "${variant%%=*} $(${variant#*=} "$dpcl" bench backbone --size "$size" \
                --iterations "$iterations" --threads "$threads")" >>"$results"
        done
        echo "onnxruntime $("$python" tools/onnx_backbone.py bench --onnx "$models/vit_s_focus.onnx" \
            --size "$size" --iterations "$iterations" --threads "$threads")" >>"$results"
    done
done
for variant in "${variants[@]}"; do
    echo "sgemm-${variant%%=*} $(${variant#*=} "$dpcl" bench sgemm --size 2048 --iterations 10 \
        --threads "$threads")" >>"$results"
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

# Peak RSS of a real `dpcl embed` at 448 (weights loaded, one forward, output written).
input=$(mktemp --suffix=.npy)
output=$(mktemp --suffix=.npy)
"$python" -c "import numpy as np; np.save('$input', np.random.default_rng(0).standard_normal((3, 448, 448), dtype=np.float32))"
rss_kb=$( { /usr/bin/time -f "%M" "$dpcl" embed --input-npy "$input" --out "$output" --threads "$threads" >/dev/null; } 2>&1 | tail -1)
rm -f "$input" "$output"
weights_bytes=$(stat -c %s "$models/dinov2-small.safetensors")
echo "rss {\"peak_kb\": $rss_kb, \"weights_bytes\": $weights_bytes}" >>"$results"

"$python" - "$results" "$threads" "$rounds" "$iterations" "$load_before" "$load_after" <<'PY'
import json, statistics, sys
path, threads, rounds, iterations, load_before, load_after = sys.argv[1:7]
runs = [(kind, json.loads(text)) for kind, text in (line.split(" ", 1) for line in open(path))]
rss = next(r for k, r in runs if k == "rss")
print(f"backbone forward, DINOv2 ViT-S/14, {threads} threads: each round times {iterations} forwards "
      f"after warm-up and keeps their median; {rounds} alternating rounds; shown: the median round "
      f"and, in brackets, the fastest round. Load average {load_before} before, {load_after} after.")
print()
print("| size | engine (OpenBLAS kernel) | engine ms | onnxruntime ms | ratio (target <= 0.80) "
      "| engine GFLOP/s | of large sgemm |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for size in (224, 448):
    theirs = [r["median_ms"] for k, r in runs if k == "onnxruntime" and r["size"] == size]
    for variant in dict.fromkeys(k for k, _ in runs if k.startswith("engine")):
        ours = [r for k, r in runs if k == variant and r["size"] == size]
        sgemm = next(r for k, r in runs if k == "sgemm-" + variant)
        median, best = statistics.median(r["median_ms"] for r in ours), min(r["median_ms"] for r in ours)
        their_median, their_best = statistics.median(theirs), min(theirs)
        # GFLOP/s of the median round (each run's GFLOP/s times its ms is the forward's work).
        gflops = ours[0]["gflops"] * ours[0]["median_ms"] / median
        print(f"| {size} | {ours[0]['kernel']} | {median:.1f} [{best:.1f}] | {their_median:.1f} "
              f"[{their_best:.1f}] | {median / their_median:.2f} [{best / their_best:.2f}] | {gflops:.0f} | "
              f"{gflops / sgemm['gflops']:.0%} of {sgemm['gflops']:.0f} |")
print()
print("large sgemm: one 2048x2048x2048 cblas_sgemm with the same kernel and threads (GFLOP/s)")
limit_kb = (2 * rss["weights_bytes"] + 100 * 1024 * 1024) / 1024
print(f"peak RSS of dpcl embed at 448: {rss['peak_kb'] / 1024:.0f} MB "
      f"(limit 2 x weights + 100 MB = {limit_kb / 1024:.0f} MB)")
PY
