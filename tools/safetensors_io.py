# Reads and writes the safetensors format with NumPy alone (header JSON + raw little-endian data),
# so the tooling needs no framework to produce or inspect weight files.
import json
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8")}


def write(path, tensors, metadata=None, dtypes=None):
    """Writes `tensors` (name -> array) in the given order; `dtypes` maps a name to F32, F16
    or BF16 (default F32). The header is padded with spaces to 8 bytes, as the reference does."""
    dtypes = dtypes or {}
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        dtype = dtypes.get(name, "F32")
        array = np.ascontiguousarray(array, dtype=np.float32)
        if dtype == "BF16":
            bits = array.view(np.uint32)
            # Round to nearest even, as frameworks do when they cast to bfloat16.
            rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
            blob = rounded.tobytes()
        else:
            blob = array.astype(DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)))
        handle.write(text)
        for blob in blobs:
            handle.write(blob)


def read(path):
    """Every tensor of the file as float32 (F16 and BF16 widened), name -> array."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
        data = handle.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = data[start:end]
        if entry["dtype"] == "BF16":
            array = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(raw, DTYPES[entry["dtype"]]).astype(np.float32)
        tensors[name] = array.reshape(entry["shape"])
    return tensors
