#!/usr/bin/env python3
"""Writes the small COCO keypoint files and PNG images of the import tests (standard library only).

rule.json      the shared-keypoint rule (10 keypoints: a pair needs 3 in common, counted over
               every instance of the image), a crowd region with keypoints, an unlabelled
               instance, a keypoint outside its image, a folder prefix in file_name, an image
               missing on disk and one of another size, polygon and RLE masks, a category
               without keypoints and a second keypoint category.
disjoint.json  12 fully labelled images of one category (every pair kept), 6 of them also
               holding a second category: for --disjoint and --max-pairs.
bad-keypoints.json, unknown-category.json   one faulty annotation each.

Run from anywhere: python3 make_fixtures.py [FOLDER] (default: next to itself).
"""
import json
import os
import struct
import sys
import zlib

HERE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
W, H = 16, 12


def png(path, width, height, colour):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)


def rle_counts(mask_columns):
    """Run lengths of a column-major 0/1 list, starting with background."""
    counts, current, run = [], 0, 0
    for value in mask_columns:
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    counts.append(run)
    return counts


def compress(counts):
    """COCO's compressed RLE string (pycocotools rleToString)."""
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (c & 0x10 and x != -1) or (not c & 0x10 and x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def box_mask(x0, y0, x1, y1):
    return [1 if x0 <= x < x1 and y0 <= y < y1 else 0 for x in range(W) for y in range(H)]


def keypoints(count, labelled, outside=()):
    values = []
    for k in range(count):
        if k in labelled:
            x = -25.0 if k in outside else 1.5 + k % 8
            values += [x, 2.0 + k % 6, 2]
        else:
            values += [0, 0, 0]
    return values


def write(name, document):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


def main():
    images = os.path.join(HERE, "images")
    os.makedirs(images, exist_ok=True)
    for index, name in enumerate("abcdg"):
        png(os.path.join(images, name + ".png"), W, H, (40 * index, 100, 200 - 30 * index))
    png(os.path.join(images, "f.png"), 8, 8, (9, 9, 9))  # the file says 16x12
    for index in range(12):
        png(os.path.join(images, "p%02d.png" % index), W, H, (20 * index, 50, 60))

    thing = {"id": 3, "name": "thing", "keypoints": ["k%d" % k for k in range(10)]}
    other = {"id": 7, "name": "other", "keypoints": ["o%d" % k for k in range(5)]}
    box = {"id": 9, "name": "box"}
    polygon = [[2.0, 2.0, 10.0, 2.0, 10.0, 9.0, 2.0, 9.0]]
    crowd_rle = {"size": [H, W], "counts": rle_counts(box_mask(0, 0, 16, 12))}

    def image(id, file_name):
        return {"id": id, "file_name": file_name, "width": W, "height": H}

    def annotation(id, image_id, category, labelled, outside=(), crowd=0, segmentation=None, count=10):
        return {"id": id, "image_id": image_id, "category_id": category, "iscrowd": crowd,
                "bbox": [1.0, 1.5, 9.0, 8.25], "keypoints": keypoints(count, labelled, outside),
                "num_keypoints": len(labelled), **({"segmentation": segmentation} if segmentation is not None else {})}

    write("rule.json", {
        "categories": [box, thing, other],
        "images": [image(1, "a.png"), image(2, "train/b.png"), image(3, "c.png"), image(4, "d.png"),
                   image(5, "e.png"), image(6, "f.png"), image(7, "g.png")],
        "annotations": [
            annotation(101, 1, 3, {0, 1, 2, 3}, segmentation=polygon),
            # A crowd region labelling the rest: were it counted, a and d would pair.
            annotation(102, 1, 3, {4, 5, 6, 7, 8, 9}, crowd=1, segmentation=crowd_rle),
            annotation(103, 1, 7, {0, 1}, count=5),
            annotation(104, 1, 9, set(), count=0),
            annotation(201, 2, 3, {0, 1, 2, 7}, outside={7},
                       segmentation={"size": [H, W], "counts": compress(rle_counts(box_mask(3, 1, 12, 10)))}),
            annotation(202, 2, 3, set(), segmentation={"size": [H, W], "counts": rle_counts(box_mask(0, 0, 4, 4))}),
            # Neither instance alone shares 3 keypoints with a or b; the image does.
            annotation(301, 3, 3, {0, 1}),
            annotation(302, 3, 3, {2}),
            annotation(303, 3, 7, {0, 1, 2}, count=5),
            annotation(401, 4, 3, {5, 6, 7, 8}),
            annotation(501, 5, 3, {0, 1, 2, 3}),
            annotation(601, 6, 3, {0, 1, 2, 3}),
            annotation(701, 7, 3, {0, 1, 2, 3}, crowd=1),
            annotation(702, 7, 7, {3, 4}, count=5),
        ],
    })
    everything = set(range(10))
    write("disjoint.json", {
        "categories": [thing, other],
        "images": [image(10 + index, "p%02d.png" % index) for index in range(12)],
        "annotations": [annotation(1000 + index, 10 + index, 3, everything) for index in range(12)]
        + [annotation(2000 + index, 10 + index, 7, set(range(5)), count=5) for index in range(6)],
    })

    faulty = annotation(77, 1, 3, {0, 1})
    faulty["keypoints"] = faulty["keypoints"][:27]
    write("bad-keypoints.json", {"categories": [thing], "images": [image(1, "a.png"), image(2, "train/b.png")],
                                 "annotations": [annotation(76, 2, 3, {0, 1}), faulty]})
    write("unknown-category.json", {"categories": [thing], "images": [image(1, "a.png")],
                                    "annotations": [annotation(88, 1, 42, {0, 1})]})


if __name__ == "__main__":
    main()
