# Writes tiny random-weight DINOv2-layout ViTs (safetensors + model config), inputs, and the
# patch tokens of an independent NumPy forward (float64), for the engine's end-to-end test.
# Usage: make_tiny_vit.py OUTPUT_DIR
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools"))
import safetensors_io  # noqa: E402

MODELS = {
    # Two registers, layer scale, a 3x3 position grid stretched to a 5x4 input grid.
    "tiny-registers": dict(patch=4, width=32, heads=4, depth=2, mlp=64, registers=2,
                           layer_scale=True, grid=3, input=(20, 16)),
    # No registers, no layer scale, the input grid equal to the position grid.
    "tiny-plain": dict(patch=2, width=24, heads=2, depth=3, mlp=48, registers=0,
                       layer_scale=False, grid=3, input=(6, 6)),
}


def random_weights(spec, rng):
    c, p, m = spec["width"], spec["patch"], spec["mlp"]
    w = {
        "embeddings.cls_token": rng.normal(0, 1, (1, 1, c)),
        "embeddings.mask_token": np.zeros((1, c)),
        "embeddings.position_embeddings": rng.normal(0, 1, (1, 1 + spec["grid"] ** 2, c)),
        "embeddings.patch_embeddings.projection.weight": rng.normal(0, 0.2, (c, 3, p, p)),
        "embeddings.patch_embeddings.projection.bias": rng.normal(0, 0.1, (c,)),
        "layernorm.weight": rng.normal(1, 0.1, (c,)),
        "layernorm.bias": rng.normal(0, 0.1, (c,)),
    }
    if spec["registers"]:
        w["embeddings.register_tokens"] = rng.normal(0, 1, (1, spec["registers"], c))
    for i in range(spec["depth"]):
        prefix = f"encoder.layer.{i}."
        shapes = {"attention.attention.query": (c, c), "attention.attention.key": (c, c),
                  "attention.attention.value": (c, c), "attention.output.dense": (c, c),
                  "mlp.fc1": (m, c), "mlp.fc2": (c, m)}
        for name, shape in shapes.items():
            w[prefix + name + ".weight"] = rng.normal(0, 1 / math.sqrt(shape[1]), shape)
            w[prefix + name + ".bias"] = rng.normal(0, 0.1, (shape[0],))
        for norm in ("norm1", "norm2"):
            w[prefix + norm + ".weight"] = rng.normal(1, 0.1, (c,))
            w[prefix + norm + ".bias"] = rng.normal(0, 0.1, (c,))
        if spec["layer_scale"]:
            w[prefix + "layer_scale1.lambda1"] = rng.uniform(0.1, 1, (c,))
            w[prefix + "layer_scale2.lambda1"] = rng.uniform(0.1, 1, (c,))
    return w


def cubic_matrix(in_size, out_size, a=-0.75):
    """Rows of bicubic weights (half-pixel centres, edge-clamped taps) as a dense matrix."""
    matrix = np.zeros((out_size, in_size))
    for o in range(out_size):
        x = (o + 0.5) * in_size / out_size - 0.5
        base = math.floor(x)
        t = x - base
        for offset in range(-1, 3):
            d = abs(offset - t)
            weight = ((a + 2) * d - (a + 3)) * d * d + 1 if d <= 1 else ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
            matrix[o, min(max(base + offset, 0), in_size - 1)] += weight
    return matrix


def layer_norm(x, weight, bias, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


def forward(w, spec, image):
    """Returns the patch tokens after every block and after the final norm."""
    p, c, heads = spec["patch"], spec["width"], spec["heads"]
    _, height, width = image.shape
    gh, gw = height // p, width // p
    patches = image.reshape(3, gh, p, gw, p).transpose(1, 3, 0, 2, 4).reshape(gh * gw, 3 * p * p)
    projection = w["embeddings.patch_embeddings.projection.weight"].reshape(c, -1)
    tokens = patches @ projection.T + w["embeddings.patch_embeddings.projection.bias"]
    table = w["embeddings.position_embeddings"][0]
    grid = table[1:].reshape(spec["grid"], spec["grid"], c)
    resized = np.einsum("yi,ijc,xj->yxc", cubic_matrix(spec["grid"], gh), grid,
                        cubic_matrix(spec["grid"], gw))
    tokens = tokens + resized.reshape(gh * gw, c)
    cls = w["embeddings.cls_token"][0] + table[:1]
    registers = [w["embeddings.register_tokens"][0]] if spec["registers"] else []
    x = np.concatenate([cls] + registers + [tokens])
    prefix_tokens = 1 + spec["registers"]
    outputs = {}
    erf = np.vectorize(math.erf)
    for i in range(spec["depth"]):
        l = lambda name: w[f"encoder.layer.{i}.{name}"]  # noqa: E731
        linear = lambda v, name: v @ l(name + ".weight").T + l(name + ".bias")  # noqa: E731
        h = layer_norm(x, l("norm1.weight"), l("norm1.bias"))
        d = c // heads
        split = lambda v: v.reshape(-1, heads, d).transpose(1, 0, 2)  # noqa: E731
        q = split(linear(h, "attention.attention.query"))
        k = split(linear(h, "attention.attention.key"))
        v = split(linear(h, "attention.attention.value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        attended = (scores @ v).transpose(1, 0, 2).reshape(-1, c)
        update = linear(attended, "attention.output.dense")
        x = x + (update * l("layer_scale1.lambda1") if spec["layer_scale"] else update)
        h = layer_norm(x, l("norm2.weight"), l("norm2.bias"))
        h = linear(h, "mlp.fc1")
        h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
        update = linear(h, "mlp.fc2")
        x = x + (update * l("layer_scale2.lambda1") if spec["layer_scale"] else update)
        outputs[str(i)] = x[prefix_tokens:].reshape(gh, gw, c)
    final = layer_norm(x, w["layernorm.weight"], w["layernorm.bias"])
    outputs["final"] = final[prefix_tokens:].reshape(gh, gw, c)
    return outputs


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for seed, (name, spec) in enumerate(MODELS.items()):
        rng = np.random.default_rng(seed)
        weights = random_weights(spec, rng)
        # Some tensors in half precisions, to cover the reader's widening; the reference
        # below runs on the values read back, so it sees the same rounding.
        dtypes = {"encoder.layer.0.mlp.fc1.weight": "F16",
                  "encoder.layer.1.attention.attention.value.weight": "BF16"}
        path = os.path.join(out, name + ".safetensors")
        safetensors_io.write(path, weights, dtypes=dtypes)
        stored = {k: v.astype(np.float64) for k, v in safetensors_io.read(path).items()}
        config = {"name": name, "weights": name + ".safetensors", "patch_size": spec["patch"],
                  "hidden_size": spec["width"], "num_hidden_layers": spec["depth"],
                  "num_attention_heads": spec["heads"], "mlp_hidden_size": spec["mlp"],
                  "num_register_tokens": spec["registers"], "layer_scale": spec["layer_scale"],
                  "layer_norm_eps": 1e-6, "position_grid": spec["grid"],
                  "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}
        with open(os.path.join(out, name + ".json"), "w") as handle:
            json.dump(config, handle, indent=2)
        image = rng.normal(0, 1, (3, *spec["input"])).astype(np.float32)
        np.save(os.path.join(out, name + ".input.npy"), image)
        for layer, tokens in forward(stored, spec, image.astype(np.float64)).items():
            np.save(os.path.join(out, f"{name}.expected-{layer}.npy"), tokens.astype(np.float32))


if __name__ == "__main__":
    main()
