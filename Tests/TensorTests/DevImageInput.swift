// The parity test's inputs: a dev JPEG decoded by libjpeg-turbo (CShim), stretched to a
// square by bilinear sampling and normalised with the model's mean and std → [3, S, S].
// Any deterministic preprocessing serves: both engines read the same tensor.
import CShim
import Foundation
@testable import Tensor

enum DevImageInput {
    enum Failure: Error { case unreadable(String), decode(String) }

    static func load(_ path: String, size: Int, config: ViTConfig) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure.unreadable(path) }
        var result = dpcl_image_result()
        let limits = dpcl_image_limits(max_pixels: 50_000_000, max_side: 20_000, max_scans: 0)
        let status = data.withUnsafeBytes { bytes in
            dpcl_jpeg_decode_rgb(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, limits, &result)
        }
        guard status == DPCL_IMAGE_OK, let pixels = result.pixels else {
            let message = withUnsafeBytes(of: result.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw Failure.decode("\(path): \(message)")
        }
        defer { dpcl_free(pixels) }
        let (width, height) = (Int(result.width), Int(result.height))
        var values = [Float](repeating: 0, count: 3 * size * size)
        for y in 0..<size {
            let sy = min(max((Float(y) + 0.5) * Float(height) / Float(size) - 0.5, 0), Float(height - 1))
            let y0 = Int(sy), y1 = min(y0 + 1, height - 1), fy = sy - Float(y0)
            for x in 0..<size {
                let sx = min(max((Float(x) + 0.5) * Float(width) / Float(size) - 0.5, 0), Float(width - 1))
                let x0 = Int(sx), x1 = min(x0 + 1, width - 1), fx = sx - Float(x0)
                for c in 0..<3 {
                    func at(_ yy: Int, _ xx: Int) -> Float { Float(pixels[(yy * width + xx) * 3 + c]) }
                    let top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
                    let bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
                    let value = (top * (1 - fy) + bottom * fy) / 255
                    values[(c * size + y) * size + x] = (value - config.imageMean[c]) / config.imageStd[c]
                }
            }
        }
        return try Tensor(shape: [3, size, size], storage: values)
    }
}
