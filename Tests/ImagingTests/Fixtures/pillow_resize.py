#!/usr/bin/env python3
# Pillow's Image.resize(size, BILINEAR) of every dev image at several sizes (the reference of
# the resize parity test). Writes NAME.src.rgb (Pillow's decode) and NAME.WxH.rgb per size,
# and sizes.txt listing "NAME SRC_W SRC_H W H" per line.
# Usage: pillow_resize.py DATA_DIR OUT_DIR
import sys
from pathlib import Path

from PIL import Image

data, out = Path(sys.argv[1]), Path(sys.argv[2])
lines = []
for index, path in enumerate(sorted(data.glob("*/images/*"))):
    image = Image.open(path).convert("RGB")
    w, h = image.size
    name = f"{index:03d}"
    (out / f"{name}.src.rgb").write_bytes(image.tobytes())
    sizes = {(256, 256), (224, 160), (97, 61), (max(1, w // 3), max(1, h // 3)), (w, max(1, h // 2)),
             (max(1, w // 2), h), (w * 3 // 2, h * 3 // 2) if w * h < 1_000_000 else (w // 5, h // 7)}
    for tw, th in sorted(sizes):
        (out / f"{name}.{tw}x{th}.rgb").write_bytes(image.resize((tw, th), Image.BILINEAR).tobytes())
        lines.append(f"{name} {w} {h} {tw} {th} {path.name}")
(out / "sizes.txt").write_text("\n".join(lines) + "\n")
