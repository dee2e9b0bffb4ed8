# Writes a one-layer random decoder for the default backbone's width (384) and a model config
# that adds it to Config/models/dinov2-small.json: the matcher's decoder path, end to end.
# Usage: make_random_decoder.py OUTPUT_DIR
import json
import math
import os
import sys

import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(root, "tools"))
import safetensors_io  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(7)
c, f = 384, 256
tensors = {}
prefix = "decoder.layers.0."
for attention in ("self_attn", "multihead_attn"):
    tensors[prefix + attention + ".in_proj_weight"] = rng.normal(0, 1 / math.sqrt(c), (3 * c, c))
    tensors[prefix + attention + ".in_proj_bias"] = rng.normal(0, 0.02, (3 * c,))
    tensors[prefix + attention + ".out_proj.weight"] = rng.normal(0, 1 / math.sqrt(c), (c, c))
    tensors[prefix + attention + ".out_proj.bias"] = rng.normal(0, 0.02, (c,))
tensors[prefix + "linear1.weight"] = rng.normal(0, 1 / math.sqrt(c), (f, c))
tensors[prefix + "linear1.bias"] = rng.normal(0, 0.02, (f,))
tensors[prefix + "linear2.weight"] = rng.normal(0, 1 / math.sqrt(f), (c, f))
tensors[prefix + "linear2.bias"] = rng.normal(0, 0.02, (c,))
for norm in ("norm1", "norm2", "norm3"):
    tensors[prefix + norm + ".weight"] = 1 + rng.normal(0, 0.05, (c,))
    tensors[prefix + norm + ".bias"] = rng.normal(0, 0.05, (c,))
safetensors_io.write(os.path.join(out, "random-decoder.safetensors"), tensors)

with open(os.path.join(root, "Config", "models", "dinov2-small.json")) as handle:
    config = json.load(handle)
config["decoder"] = {"weights": "random-decoder.safetensors", "layers": 1, "heads": 6, "feed_forward": f,
                     "activation": "relu", "layer_norm_eps": 1e-5}
with open(os.path.join(out, "with-decoder.json"), "w") as handle:
    json.dump(config, handle, indent=2)
