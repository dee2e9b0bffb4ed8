"""Prints Benchmarks/accuracy.sh's table: per precision, the macro figures over the dev splits
(each split's overall score, then the mean), the two mIoUs, pooled grouping, and the largest
difference from fp32 among them."""
import glob
import json
import os
import sys

work, precisions = sys.argv[1], sys.argv[2:]
columns = ["F1@0.10", "mPCK@0.10", "recall@0.10", "mIoU coco", "mIoU macaque", "grouping"]


def figures(precision):
    splits = {os.path.basename(p)[len(precision) + 1:-len(".scores.json")]: json.load(open(p))["overall"]
              for p in glob.glob(os.path.join(work, f"{precision}-*-dev.scores.json"))}
    mean = lambda key: sum(s["alphas"]["0.10"][key] for s in splits.values()) / len(splits)
    merged = json.load(open(os.path.join(work, f"{precision}-merged.scores.json")))["overall"]
    return [mean("f1"), mean("mpck"), mean("recall"), splits["coco-person-dev"]["miou"],
            splits["macaque-dev"]["miou"], merged["grouping"]["score"]]


table = {p: figures(p) for p in precisions}
print("| precision | " + " | ".join(columns) + " | largest difference from fp32 |")
print("| --- |" + " --- |" * (len(columns) + 1))
for precision, values in table.items():
    difference = max(abs(a - b) for a, b in zip(values, table["fp32"])) if "fp32" in table else float("nan")
    print(f"| {precision} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {difference:.4f} |")
