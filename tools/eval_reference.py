#!/usr/bin/env python3
"""A straightforward Python + numpy + scipy implementation of the misc-scores/v1 metric.

FORMATS.md sections 3 and 4, written plainly: whole documents through json.load, one
scipy.optimize.linear_sum_assignment per group and alpha, mask IoU by pycocotools. It is
the peer that Benchmarks/eval.sh measures `dpcl eval` against, and an independent check
of its numbers. Validation is minimal (trusted input).

Usage: eval_reference.py GT.json PRED.json[.gz] > scores.json
"""
import gzip
import json
import math
import sys

import numpy as np
from pycocotools import mask as mask_utils
from scipy.optimize import linear_sum_assignment

ALPHAS = [0.05, 0.10, 0.15, 1.00]


def load(path):
    with open(path, "rb") as handle:
        magic = handle.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def to_rle(segmentation, height, width):
    """A segmentation (compressed or integer-count RLE, or polygons) as a pycocotools RLE."""
    if isinstance(segmentation, list):
        return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    if isinstance(segmentation["counts"], list):
        return mask_utils.frPyObjects(segmentation, height, width)
    return {"size": segmentation["size"], "counts": segmentation["counts"].encode()}


def alpha_key(alpha):
    return "%.2f" % alpha


def evaluate(gt, pred, alphas=ALPHAS):
    keypoints = {c["name"]: len(c["keypoints"]) for c in gt["categories"]}
    images = {str(i["id"]): i for i in gt["images"]}
    members = {}
    for instance in gt["instances"]:
        members.setdefault((str(instance["image"]), instance["category"]), []).append(instance)
    pairs = {p["id"]: p for p in gt["pairs"]}
    submitted = {p["pair"]: p for p in pred["pairs"]}

    sums = {name: {"p": np.zeros(len(alphas)), "r": np.zeros(len(alphas)), "f": np.zeros(len(alphas)),
                   "groups": 0, "iou": 0.0, "masked": 0} for name in keypoints}
    ignored = 0
    masks_submitted = any(i.get("segmentation") for p in pred["pairs"] for i in p.get("instances") or [])
    decoded_truth = {}

    for pair_id, pair in pairs.items():
        category = pair["category"]
        sources = members.get((str(pair["source"]), category), [])
        targets = members.get((str(pair["target"]), category), [])
        image = images[str(pair["target"])]
        scale = max(image["width"], image["height"])
        entry = submitted.get(pair_id, {})
        by_group = {}
        for match in entry.get("matches", []):
            by_group.setdefault((match["source_instance"], match["keypoint"]), []).append((match["x"], match["y"]))
        used = set()
        total = sums[category]
        for source in sources:
            for k in range(keypoints[category]):
                if source["keypoints"][k][2] <= 0:
                    continue
                truth = [(t["keypoints"][k][0], t["keypoints"][k][1]) for t in targets if t["keypoints"][k][2] > 0]
                if not truth:
                    continue
                total["groups"] += 1
                predictions = by_group.get((source["id"], k), [])
                used.add((source["id"], k))
                if not predictions:
                    continue
                p = np.array(predictions, dtype=float)
                g = np.array(truth, dtype=float)
                distance = np.sqrt(((p[:, None, :] - g[None, :, :]) ** 2).sum(axis=2))
                for a, alpha in enumerate(alphas):
                    admissible = distance <= alpha * scale
                    # Any inadmissible pairing costs more than every admissible one together.
                    cost = np.where(admissible, distance, 1e12)
                    rows, cols = linear_sum_assignment(cost)
                    tp = int(admissible[rows, cols].sum())
                    precision, recall = tp / len(predictions), tp / len(truth)
                    total["p"][a] += precision
                    total["r"][a] += recall
                    total["f"][a] += 2 * precision * recall / (precision + recall) if tp else 0.0
        ignored += sum(len(v) for key, v in by_group.items() if key not in used)

        masked = [t for t in targets if t.get("segmentation")]
        total["masked"] += len(masked)
        predicted = [i for i in entry.get("instances") or [] if i.get("segmentation")]
        if masked and predicted:
            height, width = image["height"], image["width"]
            truth_masks = []
            for t in masked:
                if t["id"] not in decoded_truth:
                    decoded_truth[t["id"]] = to_rle(t["segmentation"], height, width)
                truth_masks.append(decoded_truth[t["id"]])
            predicted_masks = [to_rle(i["segmentation"], height, width) for i in predicted]
            matrix = np.array(mask_utils.iou(predicted_masks, truth_masks, [0] * len(truth_masks)),
                              dtype=float).reshape(len(predicted_masks), len(truth_masks)).T
            rows, cols = linear_sum_assignment(matrix, maximize=True)
            total["iou"] += float(matrix[rows, cols].sum())

    def summary(parts):
        groups = sum(s["groups"] for s in parts)
        masked = sum(s["masked"] for s in parts)
        result = {"groups": groups, "alphas": {}}
        for a, alpha in enumerate(alphas):
            result["alphas"][alpha_key(alpha)] = {
                name: (sum(s[key][a] for s in parts) / groups if groups else None)
                for name, key in (("mpck", "p"), ("recall", "r"), ("f1", "f"))}
        result["miou"] = sum(s["iou"] for s in parts) / masked if masked and masks_submitted else None
        return result

    overall = summary(list(sums.values()))
    overall["ignored_matches"] = ignored
    return {"format": "misc-scores/v1", "benchmark": gt["name"], "overall": overall,
            "categories": {name: summary([s]) for name, s in sums.items()}}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    json.dump(evaluate(load(sys.argv[1]), load(sys.argv[2])), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
