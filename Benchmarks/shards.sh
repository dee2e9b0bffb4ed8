#!/usr/bin/env bash
# A split matched whole and in 3 shards (`dpcl match --shard I/3`, then `dpcl predictions
# merge`), on this machine, in one run: the whole run's wall time; the shards one after
# another (their sum is the work a cluster shares out, so sum / whole is the overhead of
# sharding: each shard loads the model and computes its sources' features once); the three
# at once (on this machine they share its cores); the slowest shard (what three machines
# would take). The merged file must be the whole run's, byte for byte.
# Environment: SPLIT (a misc-pairs/v1 split; default: coco-person-dev beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."

dpcl=.build/release/dpcl
[ -x "$dpcl" ] || swift build -c release --product dpcl >/dev/null
scripts/fetch-model >/dev/null
split=${SPLIT:-${DPCL_SHARED:-../shared}/data/coco-person-dev}/pairs.json
[ -f "$split" ] || split=${SPLIT:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; split $split"
start=$(now)
"$dpcl" match --pairs "$split" --out "$work/whole.json" 2>"$work/whole.err"
whole=$(elapsed "$start" "$(now)")

sequential=0 slowest=0
for i in 1 2 3; do
    start=$(now)
    "$dpcl" match --pairs "$split" --shard "$i/3" --out "$work/part-$i.json" 2>"$work/part-$i.err"
    seconds=$(elapsed "$start" "$(now)")
    pairs=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["pairs"]))' "$work/part-$i.json")
    echo "shard $i/3: $pairs pairs in $seconds s"
    sequential=$(awk -v a="$sequential" -v b="$seconds" 'BEGIN { print a + b }')
    slowest=$(awk -v a="$slowest" -v b="$seconds" 'BEGIN { print (b > a ? b : a) }')
done

start=$(now)
for i in 1 2 3; do "$dpcl" match --pairs "$split" --shard "$i/3" --out "$work/parallel-$i.json" 2>/dev/null & done
wait
parallel=$(elapsed "$start" "$(now)")

"$dpcl" predictions merge "$work"/part-{1,2,3}.json --pairs "$split" --out "$work/merged.json" 2>/dev/null
cmp -s "$work/merged.json" "$work/whole.json" && same="identical" || same="DIFFERENT"
awk -v w="$whole" -v s="$sequential" -v m="$slowest" -v p="$parallel" -v same="$same" 'BEGIN {
    printf "whole run %.1f s; 3 shards one after another %.1f s (%.2fx the whole run); 3 at once on this machine %.1f s; slowest shard %.1f s (%.2fx: three machines); merged file %s to the whole run\n",
        w, s, s / w, p, m, m / w, same }'
[ "$same" = identical ]
