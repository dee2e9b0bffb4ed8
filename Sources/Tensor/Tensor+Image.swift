// The engine's one image-shaped input: interleaved 8-bit RGB rows turned into a
// normalised channel-first [3, H, W] tensor. Decoding and resizing belong to Imaging.

extension Tensor {
    /// `(value / 255 - mean[c]) / std[c]` for each channel of `pixels` (RGB, row-major,
    /// `width * height * 3` bytes), laid out as [3, height, width].
    public init(normalisingRGB pixels: [UInt8], width: Int, height: Int, mean: [Float], std: [Float]) throws(TensorError) {
        let planeSize = width * height
        guard width > 0, height > 0, mean.count == 3, std.count == 3 else {
            throw .invalidShape([3, height, width])
        }
        guard pixels.count == planeSize * 3 else {
            throw .storageMismatch(shape: [height, width, 3], elements: pixels.count)
        }
        // One multiply-add per value: (v / 255 - m) / s == v * (1 / (255 s)) - m / s.
        let scale = std.map { 1 / (255 * $0) }
        let offset = (0..<3).map { mean[$0] / std[$0] }
        self.init(shape: [3, height, width]) { output in
            pixels.withUnsafeBufferPointer { input in
                for channel in 0..<3 {
                    let plane = channel * planeSize
                    let (a, b) = (scale[channel], offset[channel])
                    for index in 0..<planeSize {
                        output[plane + index] = Float(input[index * 3 + channel]) * a - b
                    }
                }
            }
        }
    }
}
