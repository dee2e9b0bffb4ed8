#!/usr/bin/env bash
# The backbone's forward time up to the matcher's layer (block 9) at each precision of its
# oneDNN products (fp32, bf16, int8) against onnxruntime running the same graph in fp32 and
# dynamically quantized to int8 (quantize_dynamic), all on the same threads and machine,
# alternating rounds so that background load hits every engine alike; at 224 × 224 and at
# the matcher's 448 × 336 (a 4:3 image). Then one large cblas_sgemm (OpenBLAS's attainable
# fp32 GFLOP/s) and the peak RSS of `dpcl embed` at 448.
# Environment: THREADS (default: all cores), ROUNDS (default 3), ITERATIONS (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${THREADS:-$(nproc)}
rounds=${ROUNDS:-3}
iterations=${ITERATIONS:-10}
dpcl=.build/release/dpcl
python=.venv/bin/python
models=${DPCL_MODEL_DIR:-$HOME/.cache/dpcl/models}
[ -x "$dpcl" ] || swift build -c release --product dpcl >/dev/null
scripts/fetch-model >/dev/null
source Benchmarks/lib/runnable.sh
precisions=$(runnable "$dpcl" fp32 bf16 int8)
[ -n "$precisions" ] || exit 1

results=$(mktemp)
trap 'rm -f "$results"' EXIT
load_before=$(cut -d' ' -f1 /proc/loadavg)
for round in $(seq "$rounds"); do
    for shape in "224 224" "448 336"; do
        read -r width height <<<"$shape"
        for precision in $precisions; do
            echo "onednn-$precision $width $height $("$dpcl" bench backbone --size "$width" --height "$height" \
                --layer 9 --iterations "$iterations" --threads "$threads" --precision "$precision")" >>"$results"
        done
        for variant in fp32 int8; do
            flag=$([ "$variant" = int8 ] && echo --int8 || true)
            echo "onnxruntime-$variant $width $height $("$python" tools/onnx_backbone.py bench \
                --onnx "$models/vit_s_focus.onnx" --size "$width" --height "$height" --layer 9 $flag \
                --iterations "$iterations" --threads "$threads" 2>/dev/null)" >>"$results"
        done
    done
done
echo "sgemm - - $("$dpcl" bench sgemm --size 2048 --iterations 10 --threads "$threads")" >>"$results"
load_after=$(cut -d' ' -f1 /proc/loadavg)

# Peak RSS of a real `dpcl embed` at 448 (weights loaded, one forward, output written).
input=$(mktemp --suffix=.npy)
output=$(mktemp --suffix=.npy)
"$python" -c "import numpy as np; np.save('$input', np.random.default_rng(0).standard_normal((3, 448, 448), dtype=np.float32))"
rss_kb=$( { /usr/bin/time -f "%M" "$dpcl" embed --input-npy "$input" --out "$output" --threads "$threads" >/dev/null; } 2>&1 | tail -1)
rm -f "$input" "$output"
weights_bytes=$(stat -c %s "$models/dinov2-small.safetensors")
echo "rss - - {\"peak_kb\": $rss_kb, \"weights_bytes\": $weights_bytes}" >>"$results"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx512_bf16|avx512_vnni|amx_bf16|amx_int8)$' | tr '\n' ' ' || true)
"$python" - "$results" "$threads" "$rounds" "$iterations" "$load_before" "$load_after" "$cpu" "$flags" <<'PY'
import json, statistics, sys
path, threads, rounds, iterations, load_before, load_after, cpu, flags = sys.argv[1:9]
runs = []
for line in open(path):
    engine, width, height, text = line.split(" ", 3)
    runs.append((engine, (width, height), json.loads(text)))
rss = next(r for e, _, r in runs if e == "rss")
sgemm = next(r for e, _, r in runs if e == "sgemm")
isa = next(r["isa"] for e, _, r in runs if e.startswith("onednn"))
print(f"backbone forward to block 9, DINOv2 ViT-S/14, {threads} threads, CPU {cpu} ({flags.strip() or 'no AVX-512 BF16, VNNI or AMX'}; "
      f"oneDNN ISA {isa}): each round times {iterations} forwards after warm-up and keeps their median; "
      f"{rounds} alternating rounds; shown: the median round and, in brackets, the fastest. "
      f"Load average {load_before} before, {load_after} after.")
print()
print("| input | engine | ms | GFLOP/s | ratio | target |")
print("| --- | --- | --- | --- | --- | --- |")
flops = {}
for engine, shape, r in runs:
    if engine.startswith("onednn"):
        flops[shape] = r["gflops"] * r["median_ms"]  # GFLOP/s x ms: the forward's work
targets = {"onednn-fp32": ("onnxruntime-fp32", 0.80), "onednn-bf16": ("onnxruntime-fp32", 0.45),
           "onednn-int8": ("onnxruntime-int8", 1.00)}
for shape in (("224", "224"), ("448", "336")):
    medians = {}
    for engine in ("onednn-fp32", "onednn-bf16", "onednn-int8", "onnxruntime-fp32", "onnxruntime-int8"):
        times = [r["median_ms"] for e, s, r in runs if e == engine and s == shape]
        if times:  # a precision this CPU cannot run has none
            medians[engine] = (statistics.median(times), min(times))
    for engine, (median, best) in medians.items():
        ratio = target = ""
        if engine in targets:
            reference, bound = targets[engine]
            ratio = f"{median / medians[reference][0]:.2f} [{best / medians[reference][1]:.2f}] of {reference}"
            target = f"<= {bound:.2f}"
        print(f"| {shape[0]}x{shape[1]} | {engine} | {median:.1f} [{best:.1f}] | {flops[shape] / median:.0f} | {ratio} | {target} |")
print()
print(f"large sgemm (OpenBLAS {sgemm['kernel']}, 2048^3, {threads} threads): {sgemm['gflops']:.0f} GFLOP/s")
limit_kb = (2 * rss["weights_bytes"] + 100 * 1024 * 1024) / 1024
print(f"peak RSS of dpcl embed at 448 (default precision): {rss['peak_kb'] / 1024:.0f} MB "
      f"(limit 2 x weights + 100 MB = {limit_kb / 1024:.0f} MB)")
PY
