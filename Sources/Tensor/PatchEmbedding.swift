// Patch embedding as one GEMM: patches do not overlap (stride = kernel), so gathering each
// patch into a row copies every pixel once, and the convolution becomes tokens × weightᵀ.

enum PatchEmbedding {
    /// image [3, H, W] → rows of `channels·p·p` in the weight's (channel, y, x) order.
    static func gather(
        _ image: UnsafePointer<Float>, channels: Int, height: Int, width: Int, patch: Int,
        into patches: UnsafeMutablePointer<Float>
    ) {
        let gridWidth = width / patch
        let rowLength = channels * patch * patch
        for py in 0..<(height / patch) {
            for px in 0..<gridWidth {
                var target = patches + (py * gridWidth + px) * rowLength
                for c in 0..<channels {
                    for ky in 0..<patch {
                        let source = image + (c * height + py * patch + ky) * width + px * patch
                        target.update(from: source, count: patch)
                        target += patch
                    }
                }
            }
        }
    }
}
