#!/usr/bin/env python3
# Reference COCO mask results from pycocotools for the RLE/polygon parity tests: every RLE
# annotation of the dev splits, plus deterministic polygons built on each of them.
# Usage: coco_reference.py SHARED_DATA_DIR OUT.json
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
from pycocotools import mask as cocomask


def summary(rle):
    """What the Swift side must reproduce for one mask."""
    m = cocomask.decode(rle)  # h x w, uint8
    ys, xs = np.nonzero(m)
    w = m.shape[1]
    index = ys.astype(np.int64) * w + xs
    return {
        "counts": rle["counts"].decode("ascii"),
        "area": int(cocomask.area(rle)),
        "bbox": [float(v) for v in cocomask.toBbox(rle)],
        # Row-major foreground pixel checksums, so the decoded pixels are compared too.
        "pixel_sum": int(index.sum()),
        "pixel_square_sum": int((index * index).sum()),
    }


def star(rng, cx, cy, radius, n, w, h):
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    poly = []
    for a in angles:
        r = radius * rng.uniform(0.2, 1.0)
        poly += [round(cx + r * math.cos(a), rng.choice([0, 1, 2, 3])),
                 round(cy + r * math.sin(a), rng.choice([0, 1, 2, 3]))]
    return poly


def polygons_for(rng, ann, h, w):
    """A handful of polygon lists on one annotation's image."""
    x, y, bw, bh = ann.get("bbox") or [0, 0, w, h]
    cases = []
    labelled = [(kx, ky) for kx, ky, v in ann.get("keypoints", []) if v > 0]
    if len(labelled) >= 3:
        mx = sum(p[0] for p in labelled) / len(labelled)
        my = sum(p[1] for p in labelled) / len(labelled)
        hull = sorted(labelled, key=lambda p: math.atan2(p[1] - my, p[0] - mx))
        cases.append([[c for p in hull for c in p]])
    for _ in range(3):
        cx, cy = x + rng.uniform(0, bw), y + rng.uniform(0, bh)
        cases.append([star(rng, cx, cy, max(bw, bh) * rng.uniform(0.1, 0.8), rng.randint(3, 40), w, h)])
    # Vertices beyond the image on every side.
    cases.append([[-10.3, -7.7, w + 12.25, 3.5, w * 0.5, h + 20.0, -3.0, h * 0.5]])
    # Duplicated consecutive vertices and a thin sliver.
    cases.append([[x, y, x, y, x + bw, y + 0.4, x + bw, y + 0.4, x + 0.5, y + bh]])
    # Several overlapping polygons, merged as COCO does.
    cases.append([star(rng, x + bw * 0.3, y + bh * 0.4, bw * 0.4 + 1, 12, w, h),
                  star(rng, x + bw * 0.6, y + bh * 0.5, bh * 0.4 + 1, 9, w, h),
                  [x, y, x + bw, y, x + bw, y + bh * 0.2]])
    return cases


def small_cases(rng, count):
    """Tiny images where every edge case of the rasteriser shows up pixel by pixel."""
    cases = []
    for _ in range(count):
        h, w = rng.randint(1, 24), rng.randint(1, 24)
        polys = []
        for _ in range(rng.randint(1, 7)):
            n = rng.randint(3, 9)
            poly = []
            for _ in range(n):
                poly += [round(rng.uniform(-3, w + 3), rng.choice([0, 1, 2])),
                         round(rng.uniform(-3, h + 3), rng.choice([0, 1, 2]))]
            polys.append(poly)
        cases.append((h, w, polys))
    return cases


def main():
    data_dir, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    rng = random.Random(20241127)
    annotations, polygons, ious = [], [], []
    for pairs in sorted(data_dir.glob("*/pairs.json")):
        split = json.loads(pairs.read_text())
        by_image = {}
        for ann in split["instances"]:
            seg = ann.get("segmentation")
            if seg is None:
                continue
            h, w = seg["size"]
            rle = cocomask.frPyObjects(seg, h, w) if isinstance(seg["counts"], list) else \
                {"size": seg["size"], "counts": seg["counts"].encode("ascii")}
            # frString -> toString: pycocotools' own re-encoding of the stored string.
            reencoded = cocomask.encode(np.asfortranarray(cocomask.decode(rle)))
            entry = {"split": pairs.parent.name, "id": ann["id"], "size": [h, w],
                     "counts": seg["counts"], "reencoded": summary(reencoded), "reference": summary(rle)}
            annotations.append(entry)
            by_image.setdefault(ann["image"], []).append(rle)
            for polys in polygons_for(rng, ann, h, w):
                merged = cocomask.merge(cocomask.frPyObjects(polys, h, w))
                polygons.append({"size": [h, w], "polygons": polys, "reference": summary(merged)})
                ious.append({"size": [h, w], "a": rle["counts"].decode("ascii"),
                             "b": merged["counts"].decode("ascii"),
                             "iou": float(cocomask.iou([merged], [rle], [0])[0][0])})
        for rles in by_image.values():
            for a in rles:
                for b in rles:
                    ious.append({"size": a["size"], "a": a["counts"].decode("ascii"),
                                 "b": b["counts"].decode("ascii"),
                                 "iou": float(cocomask.iou([a], [b], [0])[0][0])})
    for h, w, polys in small_cases(rng, 400):
        merged = cocomask.merge(cocomask.frPyObjects(polys, h, w))
        polygons.append({"size": [h, w], "polygons": polys, "reference": summary(merged)})
    out_path.write_text(json.dumps({"annotations": annotations, "polygons": polygons, "ious": ious}))


if __name__ == "__main__":
    main()
