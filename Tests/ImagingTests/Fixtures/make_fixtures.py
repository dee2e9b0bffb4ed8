#!/usr/bin/env python3
# Writes the image fixtures of the Imaging tests into this folder: one small file per PNG
# and JPEG variant the decoder must read. PNG variants Pillow cannot write (2/4-bit gray,
# 16-bit RGB, interlacing) come from the minimal PNG writer below; JPEGs come from Pillow.
# Deterministic: rerunning rewrites identical files (a test checks that).
# Usage: make_fixtures.py [OUT_DIR]   (default: this folder)
import random
import struct
import sys
import zlib
from pathlib import Path

from PIL import Image

HERE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
W, H = 37, 29  # odd sizes exercise partial interlace passes and chroma blocks


def pattern(channels, maxval, seed):
    """Gradients plus noise, row-major list of per-pixel tuples."""
    rng = random.Random(seed)
    rows = []
    for y in range(H):
        row = []
        for x in range(W):
            base = [(x * maxval) // (W - 1), (y * maxval) // (H - 1), ((x + y) * maxval) // (W + H - 2), maxval - (x * maxval) // (W - 1)]
            row.append(tuple(min(maxval, max(0, b + rng.randint(-maxval // 8, maxval // 8))) for b in base[:channels]))
        rows.append(row)
    return rows


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(row, depth):
    """Samples of one row at `depth` bits, big-endian, padded to a byte."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for px in row for s in px)
    if depth == 8:
        return bytes(s for px in row for s in px)
    out, acc, bits = bytearray(), 0, 0
    for px in row:
        for s in px:
            acc = (acc << depth) | s
            bits += depth
            if bits == 8:
                out.append(acc)
                acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, rows, color_type, depth, interlace=False, palette=None, trns=None):
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        for y in range(y0, H, dy):
            sub = rows[y][x0::dx]
            if sub:
                raw += b"\x00" + pack_row(sub, depth)  # filter type 0
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette:
        data += chunk(b"PLTE", bytes(c for rgb in palette for c in rgb))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    data += chunk(b"IEND", b"")
    path.write_bytes(data)


def main():
    # PNG: every colour type and bit depth, interlaced and not.
    for depth in (1, 2, 4, 8, 16):
        write_png(HERE / f"png_gray{depth}.png", pattern(1, (1 << depth) - 1, depth), 0, depth)
    write_png(HERE / "png_gray8_trns.png", pattern(1, 255, 3), 0, 8, trns=struct.pack(">H", 128))
    write_png(HERE / "png_graya8.png", pattern(2, 255, 4), 4, 8)
    write_png(HERE / "png_graya16.png", pattern(2, 65535, 5), 4, 16)
    write_png(HERE / "png_rgb8.png", pattern(3, 255, 6), 2, 8)
    write_png(HERE / "png_rgb16.png", pattern(3, 65535, 7), 2, 16)
    write_png(HERE / "png_rgba8.png", pattern(4, 255, 8), 6, 8)
    write_png(HERE / "png_rgba16.png", pattern(4, 65535, 9), 6, 16)
    write_png(HERE / "png_rgb8_interlaced.png", pattern(3, 255, 10), 2, 8, interlace=True)
    write_png(HERE / "png_gray16_interlaced.png", pattern(1, 65535, 11), 0, 16, interlace=True)
    write_png(HERE / "png_gray2_interlaced.png", pattern(1, 3, 12), 0, 2, interlace=True)
    rng = random.Random(13)
    for depth in (1, 2, 4, 8):
        colours = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(1 << depth)]
        write_png(HERE / f"png_palette{depth}.png", pattern(1, (1 << depth) - 1, 14 + depth), 3, depth, palette=colours)
    colours = [(i, 255 - i, (i * 7) % 256) for i in range(256)]
    write_png(HERE / "png_palette8_trns.png", pattern(1, 255, 20), 3, 8, palette=colours, trns=bytes(range(0, 256, 2)))
    write_png(HERE / "png_palette8_interlaced.png", pattern(1, 255, 21), 3, 8, interlace=True, palette=colours)

    # JPEG through Pillow (libjpeg-turbo): baseline 4:2:0 and 4:4:4, progressive, gray, CMYK.
    rgb = Image.new("RGB", (W * 2, H * 2))
    rgb.putdata([px for row in pattern(3, 255, 30) for px in row for _ in range(2)] * 2)
    rgb = rgb.resize((W * 2, H * 2))
    rgb.save(HERE / "jpeg_baseline.jpg", quality=90)
    rgb.save(HERE / "jpeg_444.jpg", quality=90, subsampling=0)
    rgb.save(HERE / "jpeg_progressive.jpg", quality=85, progressive=True)
    rgb.convert("L").save(HERE / "jpeg_gray.jpg", quality=90)
    # Pillow writes CMYK as CMYK (Adobe marker, transform 0). The same bytes with the
    # transform set to 2 are a valid YCCK file (other colours, same structure).
    rgb.convert("CMYK").save(HERE / "jpeg_cmyk.jpg", quality=90)
    data = bytearray((HERE / "jpeg_cmyk.jpg").read_bytes())
    adobe = data.find(b"Adobe")
    assert adobe > 0 and data[adobe + 11] == 0, "expected an Adobe marker with transform 0"
    data[adobe + 11] = 2
    (HERE / "jpeg_ycck.jpg").write_bytes(bytes(data))

if __name__ == "__main__":
    main()
