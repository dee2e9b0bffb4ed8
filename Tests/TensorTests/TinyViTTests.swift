// The whole forward on tiny random-weight ViTs against an independent NumPy forward
// (Fixtures/make_tiny_vit.py, float64): proves the backbone before any real weights exist.
import Foundation
import TestSupport
import Testing
@testable import Tensor

@Suite struct TinyViTTests {
    /// The fixtures, generated once per test run.
    static let fixtures: Result<String, Error> = Result {
        let directory = try TestSupport.temporaryDirectory()
        try Venv.runPython([Repository.root.path + "/Tests/TensorTests/Fixtures/make_tiny_vit.py", directory])
        return directory
    }

    static func model(_ name: String) throws -> (DINOv2, Tensor, String) {
        let directory = try fixtures.get()
        var config = try ViTConfig.load(from: "\(directory)/\(name).json")
        // fp32: the reference is float64 and the bound is float32's.
        config.precision = .fp32
        let model = try DINOv2.load(config: config, weightsPath: "\(directory)/\(config.weights)")
        return (model, try NPY.read(path: "\(directory)/\(name).input.npy"), directory)
    }

    @Test(arguments: [("tiny-registers", 1), ("tiny-registers", 2), ("tiny-plain", 1), ("tiny-plain", 2)])
    func everyLayerMatchesTheNumPyReference(name: String, workers: Int) throws {
        let (model, input, directory) = try Self.model(name)
        let layers = Set((0..<model.config.numHiddenLayers).map(BackboneLayer.block) + [.final])
        let outputs = try model.forward(input, layers: layers, workers: workers)
        #expect(outputs.count == layers.count)
        for layer in layers {
            let expected = try NPY.read(path: "\(directory)/\(name).expected-\(layer).npy")
            let got = try #require(outputs[layer])
            #expect(got.shape == expected.shape)
            // Float32 against a float64 reference through a few blocks of width ≤ 32.
            #expect(maxDifference(got.storage, expected.storage) < 5e-5, "\(name) layer \(layer)")
        }
    }

    @Test func onlyRequestedLayersAreReturnedAndEarlierLayersAgree() throws {
        let (model, input, _) = try Self.model("tiny-registers")
        let early = try model.forward(input, layers: [.block(0)])
        let all = try model.forward(input, layers: [.block(0), .block(1), .final])
        #expect(Array(early.keys) == [.block(0)])
        #expect(early[.block(0)] == all[.block(0)])
    }

    @Test func badInputsAndLayersAreTypedErrors() throws {
        let (model, _, _) = try Self.model("tiny-registers")
        #expect(throws: ModelError.layerOutOfRange(2, depth: 2)) {
            try model.forward(Tensor(zeros: [3, 8, 8]), layers: [.block(2)])
        }
        #expect {
            try model.forward(Tensor(zeros: [3, 10, 8]), layers: [.final])
        } throws: { error in
            if case .inputShape(_, let actual) = error as? ModelError { return actual == [3, 10, 8] } else { return false }
        }
        #expect(throws: ModelError.self) { try model.forward(Tensor(zeros: [1, 8, 8]), layers: [.final]) }
    }

    @Test func configIsValidatedAgainstTheTensors() throws {
        let directory = try Self.fixtures.get()
        var config = try ViTConfig.load(from: "\(directory)/tiny-plain.json")
        config.mlpHiddenSize = 40
        #expect(throws: ModelError.weights(.wrongShape(tensor: "encoder.layer.0.mlp.fc1.weight", expected: [40, 24], actual: [48, 24]))) {
            try DINOv2.load(config: config, weightsPath: "\(directory)/tiny-plain.safetensors")
        }
        config = try ViTConfig.load(from: "\(directory)/tiny-plain.json")
        config.numRegisterTokens = 1
        #expect(throws: ModelError.weights(.missingTensor("embeddings.register_tokens"))) {
            try DINOv2.load(config: config, weightsPath: "\(directory)/tiny-plain.safetensors")
        }
        config = try ViTConfig.load(from: "\(directory)/tiny-plain.json")
        config.layerScale = true
        #expect(throws: ModelError.weights(.missingTensor("encoder.layer.0.layer_scale1.lambda1"))) {
            try DINOv2.load(config: config, weightsPath: "\(directory)/tiny-plain.safetensors")
        }
    }

    @Test func theShippedConfigLoadsAndInvalidConfigsAreRejected() throws {
        let config = try ViTConfig.load(from: Repository.root.path + "/Config/models/dinov2-small.json")
        #expect(config.hiddenSize == 384 && config.numAttentionHeads == 6 && config.numHiddenLayers == 12)
        #expect(config.patchSize == 14 && config.positionGrid == 37 && config.weights == "dinov2-small.safetensors")

        let directory = try TestSupport.temporaryDirectory()
        var broken = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as! [String: Any]
        broken["num_attention_heads"] = 5
        try JSONSerialization.data(withJSONObject: broken).write(to: URL(fileURLWithPath: directory + "/broken.json"))
        #expect(throws: ModelError.invalidConfig(path: directory + "/broken.json",
                                                 problem: "hidden_size 384 is not divisible by num_attention_heads 5")) {
            try ViTConfig.load(from: directory + "/broken.json")
        }
        #expect(throws: ModelError.self) { try ViTConfig.load(from: directory + "/absent.json") }
    }
}
