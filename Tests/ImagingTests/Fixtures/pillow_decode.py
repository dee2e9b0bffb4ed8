#!/usr/bin/env python3
# Pillow's decode of each fixture image, as raw RGB bytes (the reference of the decoder
# parity test). Usage: pillow_decode.py OUT_DIR FILE...
# 16-bit gray is the one exception: Pillow's convert("RGB") clips its "I;16" values at 255,
# so the reference there is the high byte of each sample, replicated to RGB.
import sys
from pathlib import Path

import numpy as np
from PIL import Image

out = Path(sys.argv[1])
for name in sys.argv[2:]:
    image = Image.open(name)
    image.load()
    if image.mode.startswith("I;16"):
        high = (np.asarray(image).astype(np.uint16) >> 8).astype(np.uint8)
        data = np.repeat(high[:, :, None], 3, axis=2).tobytes()
    else:
        data = image.convert("RGB").tobytes()
    (out / (Path(name).name + ".rgb")).write_bytes(data)
    (out / (Path(name).name + ".mode")).write_text(f"{image.mode} {image.size[0]} {image.size[1]}")
