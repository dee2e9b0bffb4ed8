// The parity test's inputs: a dev JPEG decoded and resized by Imaging (as `dpcl embed
// --image` does) and normalised with the model's mean and std → [3, S, S].
import Foundation
import Imaging
@testable import Tensor

enum DevImageInput {
    enum Failure: Error { case unreadable(String) }

    static func load(_ path: String, size: Int, config: ViTConfig) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure.unreadable(path) }
        let image = try BilinearResize.resize(ImageDecoder.decode([UInt8](data)), width: size, height: size)
        return try Tensor(normalisingRGB: image.pixels, width: size, height: size,
                          mean: config.imageMean, std: config.imageStd)
    }
}
