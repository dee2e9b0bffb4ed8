// `dpcl embed`: the backbone's patch tokens of one input, written as a NumPy array.
import ArgumentParser
import Foundation
import Imaging
import Tensor

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Run the backbone on an image or a normalised [3, H, W] float32 array; write [gh, gw, C] tokens as .npy.",
        discussion: """
            --image decodes a JPEG or PNG (stored pixel order, no EXIF rotation), resizes it to \
            SIZE x SIZE (bilinear, antialiased) and normalises it with the model's mean and std. \
            --input-npy takes an already normalised array and bypasses decoding and resizing.
            """
    )

    @Option(help: "A JPEG or PNG image.")
    var image: String?

    @Option(help: "An already normalised float32 array [3, H, W] (.npy); H and W multiples of the patch size.")
    var inputNpy: String?

    @Option(help: "Side of the square input: --image is resized to it (default 224); --input-npy must have it.")
    var size: Int?

    @Option(help: "Block index (0-based; residual stream after it) or 'final' (after the last LayerNorm).")
    var layer = "final"

    @Option(help: "Output .npy path.")
    var out: String

    @Option(help: "Worker threads of the engine (default: OpenBLAS's thread count).")
    var threads: Int?

    @OptionGroup var backbone: BackboneOptions

    func validate() throws {
        guard (image == nil) != (inputNpy == nil) else {
            throw ValidationError("give exactly one of --image and --input-npy")
        }
        if let size, size <= 0 { throw ValidationError("--size must be positive, not \(size)") }
    }

    func run() throws {
        guard let selection = BackboneLayer(argument: layer) else {
            throw ValidationError("--layer must be a block index (0, 1, …) or 'final', not '\(layer)'")
        }
        if let threads { BLASThreads.set(threads) }
        let model = try backbone.load()
        let input: Tensor
        if let image {
            input = try Self.imageInput(path: image, size: size ?? 224, config: model.config)
        } else if let inputNpy {
            input = try NPY.read(path: inputNpy)
            if let size, input.rank == 3, input.shape[1] != size || input.shape[2] != size {
                throw ValidationError("--size \(size) but \(inputNpy) is \(input.shape[1])×\(input.shape[2]); --input-npy is not resized")
            }
        } else {
            return
        }
        let outputs = try model.forward(input, layers: [selection])
        guard let tokens = outputs[selection] else { return }
        try NPY.write(tokens, to: out)
    }

    static func imageInput(path: String, size: Int, config: ViTConfig) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        let decoded = try ImageDecoder.decode([UInt8](data))
        let resized = try BilinearResize.resize(decoded, width: size, height: size)
        return try Tensor(normalisingRGB: resized.pixels, width: size, height: size,
                          mean: config.imageMean, std: config.imageStd)
    }
}
