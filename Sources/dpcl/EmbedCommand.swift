// `dpcl embed`: the backbone's patch tokens of one input, written as a NumPy array.
import ArgumentParser
import Tensor

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Run the backbone on a normalised [3, H, W] float32 array; write [gh, gw, C] tokens as .npy."
    )

    @Option(help: "An already normalised float32 array [3, H, W] (.npy); H and W multiples of the patch size.")
    var inputNpy: String

    @Option(help: "Check the input's side against this size (the input is not resized).")
    var size: Int?

    @Option(help: "Block index (0-based; residual stream after it) or 'final' (after the last LayerNorm).")
    var layer = "final"

    @Option(help: "Output .npy path.")
    var out: String

    @Option(help: "Worker threads of the engine (default: OpenBLAS's thread count).")
    var threads: Int?

    @OptionGroup var backbone: BackboneOptions

    func run() throws {
        guard let selection = BackboneLayer(argument: layer) else {
            throw ValidationError("--layer must be a block index (0, 1, …) or 'final', not '\(layer)'")
        }
        if let threads { BLASThreads.set(threads) }
        let input = try NPY.read(path: inputNpy)
        if let size, input.rank == 3, input.shape[1] != size || input.shape[2] != size {
            throw ValidationError("--size \(size) but \(inputNpy) is \(input.shape[1])×\(input.shape[2]); --input-npy is not resized")
        }
        let model = try backbone.load()
        let outputs = try model.forward(input, layers: [selection])
        guard let tokens = outputs[selection] else { return }
        try NPY.write(tokens, to: out)
    }
}
