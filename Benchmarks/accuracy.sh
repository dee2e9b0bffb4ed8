#!/usr/bin/env bash
# The matcher's accuracy on the dev splits at each precision of the backbone's products:
# `dpcl match --precision P` on every split, `dpcl eval`, and the figures docs/MATCHING.md
# reports (macro F1, mPCK and recall at α = 0.10 over the splits, mIoU of coco-person-dev and
# macaque-dev, grouping pooled over all pairs), with each precision's difference from fp32.
# Environment: PRECISIONS (default "fp32 bf16 int8"; those this CPU cannot run are left out).
set -euo pipefail
cd "$(dirname "$0")/.."

dpcl=.build/release/dpcl
python=.venv/bin/python
[ -x "$dpcl" ] || swift build -c release --product dpcl >/dev/null
scripts/fetch-model >/dev/null
source Benchmarks/lib/runnable.sh
precisions=$(runnable "$dpcl" ${PRECISIONS:-fp32 bf16 int8})
[ -n "$precisions" ] || exit 1
shared=${DPCL_SHARED:-../shared}
[ -d "$shared/data" ] || { echo "accuracy.sh: no dev data at $shared/data" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
for precision in $precisions; do
    for split in "$shared"/data/*/pairs.json; do
        name=$(basename "$(dirname "$split")")
        "$dpcl" match --pairs "$split" --out "$work/$precision-$name.json" --precision "$precision" 2>/dev/null
        "$dpcl" eval --json "$split" "$work/$precision-$name.json" >"$work/$precision-$name.scores.json"
    done
    # Grouping pooled over all pairs: the splits merged into one benchmark, a category each.
    "$python" Benchmarks/accuracy/merge.py "$work" "$precision" "$shared"/data/*/pairs.json
    "$dpcl" eval --json "$work/merged-$precision-pairs.json" "$work/merged-$precision-predictions.json" \
        >"$work/$precision-merged.scores.json"
done
"$python" Benchmarks/accuracy/table.py "$work" $precisions
