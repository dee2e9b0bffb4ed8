// The transformer decoder on tiny random-weight models against an independent NumPy forward
// (Fixtures/make_tiny_decoder.py, float64), its weight-file checks and its config validation.
import Foundation
import TestSupport
import Testing
@testable import Tensor

@Suite struct TransformerDecoderTests {
    static let names = ["tiny-decoder-relu", "tiny-decoder-gelu", "tiny-decoder-long"]

    /// The fixtures, generated once per test run.
    static let fixtures: Result<String, Error> = Result {
        let directory = try TestSupport.temporaryDirectory()
        try Venv.runPython([Repository.root.path + "/Tests/TensorTests/Fixtures/make_tiny_decoder.py", directory])
        return directory
    }

    static func config(_ name: String) throws -> (DecoderConfig, String) {
        let directory = try fixtures.get()
        return (try DecoderConfig.load(from: "\(directory)/\(name).json", width: width(name)), directory)
    }

    static func width(_ name: String) -> Int { name == "tiny-decoder-long" ? 16 : 32 }

    static func inputs(_ name: String) throws -> (source: Tensor, target: Tensor) {
        let directory = try fixtures.get()
        return (try NPY.read(path: "\(directory)/\(name).source.npy"),
                try NPY.read(path: "\(directory)/\(name).target.npy"))
    }

    /// Every depth from one layer to the file's: the first `layers` layers of the same weights.
    static let cases: [(String, Int, Int)] = [
        ("tiny-decoder-relu", 1, 1), ("tiny-decoder-relu", 2, 1), ("tiny-decoder-relu", 2, 3),
        ("tiny-decoder-gelu", 1, 1), ("tiny-decoder-gelu", 2, 2), ("tiny-decoder-gelu", 3, 1),
        ("tiny-decoder-gelu", 3, 4), ("tiny-decoder-long", 1, 2), ("tiny-decoder-long", 2, 1),
        ("tiny-decoder-long", 2, 3),
    ]

    @Test(arguments: cases)
    func bothStreamsMatchTheNumPyReference(name: String, layers: Int, workers: Int) throws {
        var (config, directory) = try Self.config(name)
        config.layers = layers
        let decoder = try TransformerDecoder.load(config: config, width: Self.width(name),
                                                  weightsPath: "\(directory)/\(config.weights)")
        let (source, target) = try Self.inputs(name)
        #expect(source.shape[0] != target.shape[0])
        let output = try decoder.forward(source: source, target: target, workers: workers)
        for (stream, got) in [("source", output.source), ("target", output.target)] {
            let expected = try NPY.read(path: "\(directory)/\(name).expected-\(layers).\(stream).npy")
            #expect(got.shape == expected.shape)
            // Float32 against a float64 reference through a few post-norm layers of width ≤ 32:
            // about 2e-6 measured, the bound leaves room for other BLAS kernels.
            let difference = maxDifference(got.storage, expected.storage)
            #expect(difference < 1e-5, "\(name), \(layers) layers, \(stream): \(difference)")
        }
    }

    @Test func gridInputsKeepTheirShapeAndRepeatedForwardsAgree() throws {
        let (config, directory) = try Self.config("tiny-decoder-relu")
        let decoder = try TransformerDecoder.load(config: config, width: 32, weightsPath: "\(directory)/\(config.weights)")
        let (source, target) = try Self.inputs("tiny-decoder-relu")
        let flat = try decoder.forward(source: source, target: target)
        let grid = try decoder.forward(source: source.reshaped([3, 4, 32]), target: target)
        #expect(grid.source.shape == [3, 4, 32] && grid.target.shape == [7, 32])
        #expect(grid.source.storage == flat.source.storage && grid.target == flat.target)
        // The kept workspace carries nothing from one pair to the next.
        let again = try decoder.forward(source: source, target: target)
        #expect(again.source == flat.source && again.target == flat.target)
        // Swapping the pair swaps the outputs: one set of weights serves both streams.
        let swapped = try decoder.forward(source: target, target: source)
        #expect(maxDifference(swapped.source.storage, flat.target.storage) < 1e-6)
        #expect(maxDifference(swapped.target.storage, flat.source.storage) < 1e-6)
    }

    @Test func badInputsAreTypedErrors() throws {
        let (config, directory) = try Self.config("tiny-decoder-relu")
        let decoder = try TransformerDecoder.load(config: config, width: 32, weightsPath: "\(directory)/\(config.weights)")
        for shape in [[5, 31], [32], [1, 2, 3, 32], [0, 32]] {
            #expect {
                try decoder.forward(source: Tensor(zeros: shape), target: Tensor(zeros: [4, 32]))
            } throws: { error in
                if case .inputShape(_, let actual) = error as? ModelError { return actual == shape } else { return false }
            }
        }
        #expect(throws: ModelError.self) {
            try decoder.forward(source: Tensor(zeros: [4, 32]), target: Tensor(zeros: [4, 16]))
        }
    }

    @Test func aTensorOfTheWrongShapeIsNamed() throws {
        let (config, directory) = try Self.config("tiny-decoder-relu")
        let expected = ModelError.weights(.wrongShape(tensor: "decoder.layers.1.multihead_attn.in_proj_bias",
                                                      expected: [96], actual: [64]))
        #expect(throws: expected) {
            try TransformerDecoder.load(config: config, width: 32,
                                        weightsPath: "\(directory)/tiny-decoder-relu.wrong-shape.safetensors")
        }
        #expect(expected.description.contains("decoder.layers.1.multihead_attn.in_proj_bias"))
        // A config that disagrees with the file: the first tensor it reaches is named.
        var wide = config
        wide.feedForward = 40
        #expect(throws: ModelError.weights(.wrongShape(tensor: "decoder.layers.0.linear1.weight",
                                                       expected: [40, 32], actual: [64, 32]))) {
            try TransformerDecoder.load(config: wide, width: 32, weightsPath: "\(directory)/\(config.weights)")
        }
    }

    @Test func aMissingTensorIsNamed() throws {
        let (config, directory) = try Self.config("tiny-decoder-relu")
        #expect(throws: ModelError.weights(.missingTensor("decoder.layers.1.norm3.bias"))) {
            try TransformerDecoder.load(config: config, width: 32,
                                        weightsPath: "\(directory)/tiny-decoder-relu.missing.safetensors")
        }
        var deeper = config
        deeper.layers = 3
        #expect(throws: ModelError.weights(.missingTensor("decoder.layers.2.self_attn.in_proj_weight"))) {
            try TransformerDecoder.load(config: deeper, width: 32, weightsPath: "\(directory)/\(config.weights)")
        }
        #expect(throws: ModelError.self) {
            try TransformerDecoder.load(config: config, width: 32, weightsPath: "\(directory)/absent.safetensors")
        }
    }

    @Test func omittedKeysTakePyTorchsDefaults() throws {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory + "/decoder.json"
        try #"{"weights": "d.safetensors", "heads": 8, "feed_forward": 1024}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try DecoderConfig.load(from: path, width: 384)
        #expect(config == DecoderConfig(weights: "d.safetensors", layers: 6, heads: 8, feedForward: 1024,
                                        activation: .relu, layerNormEps: 1e-5))
        // What it encodes reads back the same.
        #expect(try JSONDecoder().decode(DecoderConfig.self, from: JSONEncoder().encode(config)) == config)
    }

    @Test func invalidConfigsAreRejected() throws {
        let directory = try TestSupport.temporaryDirectory()
        func write(_ json: String) throws -> String {
            let path = directory + "/decoder-\(UUID().uuidString).json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let indivisible = try write(#"{"weights": "d.safetensors", "heads": 5, "feed_forward": 64}"#)
        #expect(throws: ModelError.invalidConfig(path: indivisible,
                                                 problem: "the backbone's width 32 is not divisible by heads 5")) {
            try DecoderConfig.load(from: indivisible, width: 32)
        }
        let noLayers = try write(#"{"weights": "d.safetensors", "layers": 0, "heads": 4, "feed_forward": 64}"#)
        #expect(throws: ModelError.invalidConfig(path: noLayers, problem: "layers must be positive")) {
            try DecoderConfig.load(from: noLayers, width: 32)
        }
        let badEps = try write(#"{"weights": "d.safetensors", "heads": 4, "feed_forward": 64, "layer_norm_eps": 0}"#)
        #expect(throws: ModelError.invalidConfig(path: badEps, problem: "layer_norm_eps must be positive")) {
            try DecoderConfig.load(from: badEps, width: 32)
        }
        let noFeedForward = try write(#"{"weights": "d.safetensors", "heads": 4, "feed_forward": -1}"#)
        #expect(throws: ModelError.invalidConfig(path: noFeedForward, problem: "feed_forward must be positive")) {
            try DecoderConfig.load(from: noFeedForward, width: 32)
        }
        let silu = try write(#"{"weights": "d.safetensors", "heads": 4, "feed_forward": 64, "activation": "silu"}"#)
        #expect {
            try DecoderConfig.load(from: silu, width: 32)
        } throws: { error in
            guard case .configUnreadable(let path, let reason) = error as? ModelError else { return false }
            return path == silu && reason.contains("silu") && reason.contains("gelu")
        }
        let noHeads = try write(#"{"weights": "d.safetensors", "feed_forward": 64}"#)
        #expect {
            try DecoderConfig.load(from: noHeads, width: 32)
        } throws: { error in
            if case .configUnreadable(let path, _) = error as? ModelError { return path == noHeads } else { return false }
        }
        #expect(throws: ModelError.self) { try DecoderConfig.load(from: directory + "/absent.json", width: 32) }

        // Loading validates too, against the width the caller passes.
        let (config, fixtures) = try Self.config("tiny-decoder-relu")
        #expect(throws: ModelError.invalidConfig(path: "decoder (tiny-decoder-relu.safetensors)",
                                                 problem: "the backbone's width 30 is not divisible by heads 4")) {
            try TransformerDecoder.load(config: config, width: 30, weightsPath: "\(fixtures)/\(config.weights)")
        }
    }
}
