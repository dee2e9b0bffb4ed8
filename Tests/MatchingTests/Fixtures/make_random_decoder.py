# Writes a one-layer random decoder for the default backbone's width (384) and a model config
# that adds it to Config/models/dinov2-small.json: the matcher's decoder path, end to end.
# The weights come from the decoder fixtures' generator (Tests/TensorTests/Fixtures).
# Usage: make_random_decoder.py OUTPUT_DIR
import json
import os
import sys

import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(root, "tools"))
sys.path.insert(0, os.path.join(root, "Tests", "TensorTests", "Fixtures"))
import safetensors_io  # noqa: E402
from make_tiny_decoder import random_weights  # noqa: E402

out = sys.argv[1]
spec = dict(width=384, heads=6, feed_forward=256, layers=1)
safetensors_io.write(os.path.join(out, "random-decoder.safetensors"), random_weights(spec, np.random.default_rng(7)))

with open(os.path.join(root, "Config", "models", "dinov2-small.json")) as handle:
    config = json.load(handle)
config["decoder"] = {"weights": "random-decoder.safetensors", "layers": spec["layers"], "heads": spec["heads"],
                     "feed_forward": spec["feed_forward"], "activation": "relu", "layer_norm_eps": 1e-5}
with open(os.path.join(out, "with-decoder.json"), "w") as handle:
    json.dump(config, handle, indent=2)
