# Writes label_studio_brush.json: masks of odd sizes (random pixels, a block, one pixel, one
# full mask long enough for runs over 65536 bytes), each as row-major run lengths starting
# with background, with the brush RLE Label Studio's converter encodes for it; the "painted"
# case's colour channels vary under the alpha, which the converter codes as literal words. Run with the Label Studio venv:
#   .venv-label-studio/bin/python Tests/ImagingTests/Fixtures/make_label_studio_brush.py
import json
import pathlib

import numpy as np
from label_studio_sdk.converter.brush import encode_rle

rng = np.random.default_rng(7)
cases = []
for height, width, kind in [(5, 7, "random"), (13, 3, "block"), (1, 1, "full"), (9, 11, "single"), (150, 151, "full"), (6, 5, "painted")]:
    mask = np.zeros((height, width), dtype=np.uint8)
    if kind == "random":
        mask = (rng.random((height, width)) > 0.5).astype(np.uint8)
    elif kind == "block":
        mask[height // 4 : height - 1, 1 : width // 2 + 1] = 1
    elif kind == "full":
        mask[:] = 1
    elif kind == "single":
        mask[4, 5] = 1
    else:
        mask = (rng.random((height, width)) > 0.4).astype(np.uint8)
    if kind == "painted":
        rgba = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
        rgba[..., 3] = mask * rng.integers(1, 256, (height, width), dtype=np.uint8)
        rle = encode_rle(rgba.ravel())
    else:
        # As the converter's mask2rle: the mask's value in all four channels.
        rle = encode_rle(np.repeat((mask * 255).ravel(), 4))
    flat = mask.ravel()
    changes = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    runs = np.diff(np.concatenate([[0], changes])).tolist()
    cases.append({"height": height, "width": width, "runs": runs, "painted": kind == "painted", "rle": [int(b) for b in rle]})
path = pathlib.Path(__file__).with_name("label_studio_brush.json")
path.write_text(json.dumps(cases, separators=(",", ":")) + "\n")
