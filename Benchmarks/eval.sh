#!/usr/bin/env bash
# `dpcl eval` on a synthetic benchmark the size of MISC210K and a ~1 GB submission (plain
# and gzip): wall time (median of 3), throughput and peak RSS; then a straightforward
# Python + scipy implementation (tools/eval_reference.py) on a 2% sample, checked against
# `dpcl eval` on the same sample, with its time extrapolated to the full submission.
# Generated data lives in .bench-data/eval (git-ignored) and is reused while the generator
# is unchanged. Targets: under 60 s and under 500 MB peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

data=.bench-data/eval
mkdir -p "$data"
swift build -c release --product dpcl >/dev/null
dpcl=.build/release/dpcl
[ -x .venv/bin/python ] || scripts/setup
python=.venv/bin/python

generator=Benchmarks/eval/make_eval_data.swift
stamp=$(sha256sum "$generator" | cut -d' ' -f1)
if [ "$(cat "$data/stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "eval: generating the synthetic benchmark and submission (once)"
    swiftc -O "$generator" -o "$data/make_eval_data"
    "$data/make_eval_data" "$data"
    gzip -1 -c "$data/pred.json" >"$data/pred.json.gz"
    echo "$stamp" >"$data/stamp"
fi

# median of three: prints "SECONDS PEAK_KB" (the peak is the largest of the runs).
measure() {
    local out=$1; shift
    local times=() peak=0
    for _ in 1 2 3; do
        read -r seconds kb < <("$python" tools/run_measured.py "$out" "$@")
        times+=("$seconds")
        ((kb > peak)) && peak=$kb
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n 2p | tr '\n' ' '
    echo "$peak"
}

bytes() { stat -c %s "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

echo "eval: $(mb "$(bytes "$data/gt.json")") MB ground truth, submission $(mb "$(bytes "$data/pred.json")") MB" \
     "(gzip $(mb "$(bytes "$data/pred.json.gz")") MB); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

read -r plain_s plain_kb < <(measure "$data/scores.json" "$dpcl" eval --json "$data/gt.json" "$data/pred.json")
read -r gz_s gz_kb < <(measure "$data/scores-gz.json" "$dpcl" eval --json "$data/gt.json" "$data/pred.json.gz")
cmp -s "$data/scores.json" "$data/scores-gz.json" || { echo "eval: gzip and plain scores differ" >&2; exit 1; }
read -r sample_s sample_kb < <(measure "$data/sample-scores.json" "$dpcl" eval --json "$data/sample-gt.json" "$data/sample-pred.json")
read -r python_s python_kb < <(measure "$data/sample-reference.json" \
    "$python" tools/eval_reference.py "$data/sample-gt.json" "$data/sample-pred.json")

# The two implementations must agree on the sample before their times mean anything.
"$python" - "$data/sample-reference.json" "$data/sample-scores.json" <<'PY'
import json, sys
expected, actual = (json.load(open(path)) for path in sys.argv[1:3])
worst = 0.0
def walk(e, a, path):
    global worst
    if isinstance(e, dict):
        for key in e:
            walk(e[key], a[key], f"{path}.{key}")
    elif isinstance(e, (int, float)) and not isinstance(e, bool):
        worst = max(worst, abs(e - a))
    elif e != a:
        sys.exit(f"eval: reference and dpcl differ at {path}: {e} != {a}")
walk(expected, actual, "")
if worst > 1e-9:
    sys.exit(f"eval: reference and dpcl differ by {worst}")
print(f"eval: Python reference and dpcl agree on the 2% sample (max |diff| {worst:.1e})")
PY

full_bytes=$(bytes "$data/pred.json")
sample_bytes=$(bytes "$data/sample-pred.json")
awk -v fb="$full_bytes" -v gzb="$(bytes "$data/pred.json.gz")" -v sb="$sample_bytes" \
    -v ps="$plain_s" -v pk="$plain_kb" -v gs="$gz_s" -v gk="$gz_kb" \
    -v ss="$sample_s" -v sk="$sample_kb" -v ys="$python_s" -v yk="$python_kb" 'BEGIN {
    printf "\n| run | submission | wall (median of 3) | throughput | peak RSS |\n|---|---|---|---|---|\n"
    printf "| dpcl eval, full | %.0f MB json | %.2f s | %.0f MB/s | %.0f MB |\n", fb / 1e6, ps, fb / 1e6 / ps, pk / 1024
    printf "| dpcl eval, full | %.0f MB json.gz | %.2f s | %.0f MB/s (uncompressed) | %.0f MB |\n", gzb / 1e6, gs, fb / 1e6 / gs, gk / 1024
    printf "| dpcl eval, 2%% sample | %.1f MB json | %.3f s | %.0f MB/s | %.0f MB |\n", sb / 1e6, ss, sb / 1e6 / ss, sk / 1024
    printf "| Python + scipy, 2%% sample | %.1f MB json | %.2f s | %.2f MB/s | %.0f MB |\n", sb / 1e6, ys, sb / 1e6 / ys, yk / 1024
    extrapolated = ys * fb / sb
    printf "\nPython + scipy extrapolated to the full submission: %.0f s; dpcl eval is %.0fx faster (%.0fx on the same sample).\n", \
        extrapolated, extrapolated / ps, ys / ss
    printf "targets: wall < 60 s: %s; peak RSS < 500 MB: %s\n", (ps < 60 ? "met" : "MISSED"), (pk / 1024 < 500 ? "met" : "MISSED")
}'
