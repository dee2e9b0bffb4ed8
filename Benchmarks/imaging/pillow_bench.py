#!/usr/bin/env python3
# The Pillow side of imaging.sh: the same operations on the same files, median of REPEATS.
# Usage: pillow_bench.py REPEATS IMAGE...
import io
import statistics
import sys
import time

from PIL import Image

repeats = int(sys.argv[1])
inputs = [open(p, "rb").read() for p in sys.argv[2:]]


def decode(data):
    image = Image.open(io.BytesIO(data))
    return image.convert("RGB")


def median(body):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


decoded = [decode(d) for d in inputs]
print("decode", median(lambda: [decode(d) for d in inputs]))
print("resize_256", median(lambda: [i.resize((256, 256), Image.BILINEAR) for i in decoded]))
print("resize_half", median(lambda: [i.resize((max(1, i.width // 2), max(1, i.height // 2)), Image.BILINEAR) for i in decoded]))
