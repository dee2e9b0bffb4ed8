// Bicubic resampling of a [h, w, C] grid, as PyTorch's interpolate(mode="bicubic",
// align_corners=False) and ONNX Resize (cubic, a = −0.75, half_pixel) compute it:
// used to fit the position embeddings to the input's patch grid.

enum Bicubic {
    static let a: Float = -0.75

    /// The four source indices (clamped to the edge) and weights of each output index.
    static func taps(from inSize: Int, to outSize: Int) -> [(indices: SIMD4<Int32>, weights: SIMD4<Float>)] {
        let scale = Float(inSize) / Float(outSize)
        return (0..<outSize).map { o in
            let position = (Float(o) + 0.5) * scale - 0.5
            let base = position.rounded(.down)
            let t = position - base
            let weights = SIMD4<Float>(
                ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                ((a + 2) * t - (a + 3)) * t * t + 1,
                ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
                ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a)
            var indices = SIMD4<Int32>()
            for j in 0..<4 {
                indices[j] = Int32(min(max(Int(base) - 1 + j, 0), inSize - 1))
            }
            return (indices, weights)
        }
    }

    /// source [inHeight, inWidth, channels] → target [outHeight, outWidth, channels].
    static func resize(
        _ source: UnsafePointer<Float>, inHeight: Int, inWidth: Int, channels: Int,
        outHeight: Int, outWidth: Int, into target: UnsafeMutablePointer<Float>
    ) {
        let rows = taps(from: inHeight, to: outHeight)
        let columns = taps(from: inWidth, to: outWidth)
        // Columns first into [inHeight, outWidth, C], then rows: separable, as the reference.
        let horizontal = UnsafeMutablePointer<Float>.allocate(capacity: inHeight * outWidth * channels)
        defer { horizontal.deallocate() }
        for y in 0..<inHeight {
            for x in 0..<outWidth {
                let (indices, weights) = columns[x]
                let out = horizontal + (y * outWidth + x) * channels
                for c in 0..<channels { out[c] = 0 }
                for j in 0..<4 {
                    let input = source + (y * inWidth + Int(indices[j])) * channels
                    let w = weights[j]
                    for c in 0..<channels { out[c] += w * input[c] }
                }
            }
        }
        for y in 0..<outHeight {
            let (indices, weights) = rows[y]
            for x in 0..<outWidth {
                let out = target + (y * outWidth + x) * channels
                for c in 0..<channels { out[c] = 0 }
                for j in 0..<4 {
                    let input = horizontal + (Int(indices[j]) * outWidth + x) * channels
                    let w = weights[j]
                    for c in 0..<channels { out[c] += w * input[c] }
                }
            }
        }
    }
}
