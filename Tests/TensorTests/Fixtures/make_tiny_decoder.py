# Writes tiny random-weight transformer decoders (PyTorch nn.TransformerDecoderLayer tensor names,
# safetensors + decoder config), source/target tokens, and an independent NumPy forward (float64).
# Usage: make_tiny_decoder.py OUTPUT_DIR
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools"))
import safetensors_io  # noqa: E402

DECODERS = {
    # Source and target of different lengths, some tensors in half precisions.
    "tiny-decoder-relu": dict(width=32, heads=4, feed_forward=64, layers=2, activation="relu",
                              eps=1e-5, source=12, target=7),
    "tiny-decoder-gelu": dict(width=32, heads=8, feed_forward=48, layers=3, activation="gelu",
                              eps=1e-6, source=9, target=20),
    # More than 256 source tokens: the attention splits the source's queries into bands.
    "tiny-decoder-long": dict(width=16, heads=2, feed_forward=32, layers=2, activation="relu",
                              eps=1e-5, source=300, target=40),
}


def random_weights(spec, rng):
    c, f = spec["width"], spec["feed_forward"]
    w = {}
    for i in range(spec["layers"]):
        prefix = f"decoder.layers.{i}."
        for attention in ("self_attn", "multihead_attn"):
            w[prefix + attention + ".in_proj_weight"] = rng.normal(0, 1 / math.sqrt(c), (3 * c, c))
            w[prefix + attention + ".in_proj_bias"] = rng.normal(0, 0.1, (3 * c,))
            w[prefix + attention + ".out_proj.weight"] = rng.normal(0, 1 / math.sqrt(c), (c, c))
            w[prefix + attention + ".out_proj.bias"] = rng.normal(0, 0.1, (c,))
        w[prefix + "linear1.weight"] = rng.normal(0, 1 / math.sqrt(c), (f, c))
        w[prefix + "linear1.bias"] = rng.normal(0, 0.1, (f,))
        w[prefix + "linear2.weight"] = rng.normal(0, 1 / math.sqrt(f), (c, f))
        w[prefix + "linear2.bias"] = rng.normal(0, 0.1, (c,))
        for norm in ("norm1", "norm2", "norm3"):
            w[prefix + norm + ".weight"] = rng.normal(1, 0.1, (c,))
            w[prefix + norm + ".bias"] = rng.normal(0, 0.1, (c,))
    return w


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


def multi_head_attention(query, key, value, in_weight, in_bias, out_weight, out_bias, heads):
    """torch.nn.MultiheadAttention's forward (batch of one, no masks), head by head."""
    c = query.shape[1]
    d = c // heads
    q = query @ in_weight[:c].T + in_bias[:c]
    k = key @ in_weight[c:2 * c].T + in_bias[c:2 * c]
    v = value @ in_weight[2 * c:].T + in_bias[2 * c:]
    heads_out = []
    for h in range(heads):
        columns = slice(h * d, (h + 1) * d)
        scores = q[:, columns] @ k[:, columns].T / math.sqrt(d)
        probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        heads_out.append(probabilities @ v[:, columns])
    return np.concatenate(heads_out, axis=1) @ out_weight.T + out_bias


def decoder_layer(w, i, spec, tgt, memory):
    """torch.nn.TransformerDecoderLayer.forward with norm_first=False, in eval mode."""
    l = lambda name: w[f"decoder.layers.{i}.{name}"]  # noqa: E731
    eps, heads = spec["eps"], spec["heads"]

    def attention(kind, query, key_value):
        return multi_head_attention(query, key_value, key_value, l(kind + ".in_proj_weight"),
                                    l(kind + ".in_proj_bias"), l(kind + ".out_proj.weight"),
                                    l(kind + ".out_proj.bias"), heads)

    x = layer_norm(tgt + attention("self_attn", tgt, tgt), l("norm1.weight"), l("norm1.bias"), eps)
    x = layer_norm(x + attention("multihead_attn", x, memory), l("norm2.weight"), l("norm2.bias"), eps)
    hidden = x @ l("linear1.weight").T + l("linear1.bias")
    if spec["activation"] == "relu":
        hidden = np.maximum(hidden, 0)
    else:
        hidden = np.array([[0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in row] for row in hidden])
    feed_forward = hidden @ l("linear2.weight").T + l("linear2.bias")
    return layer_norm(x + feed_forward, l("norm3.weight"), l("norm3.bias"), eps)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for seed, (name, spec) in enumerate(DECODERS.items()):
        rng = np.random.default_rng(100 + seed)
        weights = random_weights(spec, rng)
        # Half precisions cover the reader's widening; the reference runs on the values read back.
        dtypes = {"decoder.layers.0.linear1.weight": "F16",
                  "decoder.layers.1.multihead_attn.in_proj_weight": "BF16"}
        path = os.path.join(out, name + ".safetensors")
        safetensors_io.write(path, weights, dtypes=dtypes)
        stored = {k: v.astype(np.float64) for k, v in safetensors_io.read(path).items()}
        config = {"weights": name + ".safetensors", "layers": spec["layers"], "heads": spec["heads"],
                  "feed_forward": spec["feed_forward"], "activation": spec["activation"],
                  "layer_norm_eps": spec["eps"]}
        with open(os.path.join(out, name + ".json"), "w") as handle:
            json.dump(config, handle, indent=2)

        source = rng.normal(0, 1, (spec["source"], spec["width"])).astype(np.float32)
        target = rng.normal(0, 1, (spec["target"], spec["width"])).astype(np.float32)
        np.save(os.path.join(out, name + ".source.npy"), source)
        np.save(os.path.join(out, name + ".target.npy"), target)
        s, t = source.astype(np.float64), target.astype(np.float64)
        for i in range(spec["layers"]):
            # Both streams from the previous layer's outputs, each the other's memory.
            s, t = decoder_layer(stored, i, spec, s, t), decoder_layer(stored, i, spec, t, s)
            np.save(os.path.join(out, f"{name}.expected-{i + 1}.source.npy"), s.astype(np.float32))
            np.save(os.path.join(out, f"{name}.expected-{i + 1}.target.npy"), t.astype(np.float32))

        if name == "tiny-decoder-relu":
            c = spec["width"]
            wrong = dict(weights)
            wrong["decoder.layers.1.multihead_attn.in_proj_bias"] = rng.normal(0, 0.1, (2 * c,))
            safetensors_io.write(os.path.join(out, name + ".wrong-shape.safetensors"), wrong)
            missing = {k: v for k, v in weights.items() if k != "decoder.layers.1.norm3.bias"}
            safetensors_io.write(os.path.join(out, name + ".missing.safetensors"), missing)


if __name__ == "__main__":
    main()
