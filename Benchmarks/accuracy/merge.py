"""Merges the dev splits and one precision's predictions into one benchmark and one
submission (Benchmarks/accuracy.sh), so that `dpcl eval` pools grouping over every pair: each
split becomes a category of its own, its ids prefixed (instance ids offset) to stay unique."""
import json
import os
import sys

work, precision, splits = sys.argv[1], sys.argv[2], sys.argv[3:]
merged = {"format": "misc-pairs/v1", "name": "dev-merged", "categories": [], "images": [], "instances": [], "pairs": []}
predictions = {"format": "misc-predictions/v1", "benchmark": "dev-merged", "method": f"dpcl {precision}", "pairs": []}
for index, path in enumerate(splits):
    name = os.path.basename(os.path.dirname(path))
    split = json.load(open(path))
    offset = 1_000_000 * (index + 1)
    rename = {c["name"]: f"{name}/{c['name']}" for c in split["categories"]}
    merged["categories"] += [dict(c, name=rename[c["name"]]) for c in split["categories"]]
    merged["images"] += [dict(i, id=f"{name}/{i['id']}", file=os.path.join(os.path.dirname(path), i["file"]))
                         for i in split["images"]]
    merged["instances"] += [dict(i, id=i["id"] + offset, image=f"{name}/{i['image']}", category=rename[i["category"]])
                            for i in split["instances"]]
    merged["pairs"] += [dict(p, id=f"{name}/{p['id']}", category=rename[p["category"]],
                             source=f"{name}/{p['source']}", target=f"{name}/{p['target']}") for p in split["pairs"]]
    for pair in json.load(open(os.path.join(work, f"{precision}-{name}.json")))["pairs"]:
        matches = [dict(m, source_instance=m["source_instance"] + offset) for m in pair["matches"]]
        predictions["pairs"].append(dict(pair, pair=f"{name}/{pair['pair']}", matches=matches))
json.dump(merged, open(os.path.join(work, f"merged-{precision}-pairs.json"), "w"))
json.dump(predictions, open(os.path.join(work, f"merged-{precision}-predictions.json"), "w"))
