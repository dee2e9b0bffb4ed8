// Bilinear resizing with antialiasing, computed as Pillow's Image.resize(size, BILINEAR):
// separable passes (horizontal, then vertical) with the triangle filter widened by the
// scale when shrinking, 22-bit fixed-point weights and 8-bit rounding between the passes.
//
// Sampling convention (used wherever keypoints move between resolutions): coordinates are
// continuous, with pixel edges at integers and pixel centres at i + 0.5. Output pixel i
// samples the source at (i + 0.5) * inSize / outSize, so a point x maps to
// x * outSize / inSize; see `ResizeGeometry`.
import Foundation

public enum BilinearResize {
    /// Pillow's PRECISION_BITS for 8-bit images.
    static let precisionBits = 22

    /// `image` resized to `width` x `height`.
    public static func resize(_ image: RGBImage, width: Int, height: Int) throws(ImageError) -> RGBImage {
        guard width > 0, height > 0 else { throw .invalidPixels(detail: "resize target \(width)x\(height) is empty") }
        if width == image.width && height == image.height { return image }
        let horizontal = Coefficients(inSize: image.width, outSize: width)
        let vertical = Coefficients(inSize: image.height, outSize: height)
        var current = image
        if width != image.width {
            // Only the source rows the vertical pass reads.
            let first = vertical.bounds[0]
            let last = vertical.bounds[2 * (height - 1)] + vertical.bounds[2 * (height - 1) + 1]
            current = horizontalPass(image, horizontal, rows: first..<last)
            if height != image.height {
                var shifted = vertical
                for i in 0..<height { shifted.bounds[2 * i] -= first }
                return verticalPass(current, shifted, outHeight: height)
            }
            return current
        }
        return verticalPass(current, vertical, outHeight: height)
    }

    /// Filter weights per output pixel: `bounds[2i]` the first source pixel, `bounds[2i+1]`
    /// how many, `weights[i * size ..< i * size + count]` their fixed-point weights.
    struct Coefficients {
        var bounds: [Int]
        var weights: [Int32]
        var size: Int

        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1.0)
            let support = 1.0 * filterScale
            size = Int(support.rounded(.up)) * 2 + 1
            bounds = [Int](repeating: 0, count: outSize * 2)
            weights = [Int32](repeating: 0, count: outSize * size)
            var k = [Double](repeating: 0, count: size)
            for xx in 0..<outSize {
                let center = (Double(xx) + 0.5) * scale
                let inverse = 1.0 / filterScale
                var xmin = Int(center - support + 0.5)  // C's (int) truncates toward zero
                if xmin < 0 { xmin = 0 }
                var xmax = Int(center + support + 0.5)
                if xmax > inSize { xmax = inSize }
                xmax -= xmin
                var total = 0.0
                for x in 0..<xmax {
                    let w = triangle((Double(x + xmin) - center + 0.5) * inverse)
                    k[x] = w
                    total += w
                }
                for x in 0..<size {
                    var w = x < xmax ? k[x] : 0
                    if x < xmax && total != 0 { w /= total }
                    let scaled = w * Double(1 << BilinearResize.precisionBits)
                    weights[xx * size + x] = Int32(w < 0 ? (-0.5 + scaled).rounded(.towardZero)
                                                         : (0.5 + scaled).rounded(.towardZero))
                }
                bounds[2 * xx] = xmin
                bounds[2 * xx + 1] = xmax
            }
        }

        private func triangle(_ x: Double) -> Double {
            let a = abs(x)
            return a < 1 ? 1 - a : 0
        }
    }

    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> Int32(precisionBits)
        return v < 0 ? 0 : v > 255 ? 255 : UInt8(v)
    }

    /// Taps (output samples × filter width) below which the horizontal pass stays on one
    /// thread: a thread's start costs about what ~10⁵ taps do.
    static let parallelTaps = 1 << 20

    /// Its rows in blocks on every core when the image is large (a shrink of a photo to the
    /// backbone's input is ~10⁷ taps, a pair's largest serial step after the forwards); each
    /// row is computed as on one thread, so the result does not depend on the split.
    static func horizontalPass(_ image: RGBImage, _ c: Coefficients, rows: Range<Int>) -> RGBImage {
        let outWidth = c.bounds.count / 2
        var out = RGBImage(width: outWidth, height: rows.count)
        let blocks = rows.count * outWidth * c.size < parallelTaps ? 1 : min(rows.count, ProcessInfo.processInfo.activeProcessorCount)
        image.pixels.withUnsafeBufferPointer { src in
            c.weights.withUnsafeBufferPointer { weights in
                c.bounds.withUnsafeBufferPointer { bounds in
                    out.pixels.withUnsafeMutableBufferPointer { dst in
                        let pass = HorizontalPass(src: src.baseAddress!, inWidth: image.width, weights: weights.baseAddress!,
                                                  bounds: bounds.baseAddress!, size: c.size, dst: dst.baseAddress!,
                                                  outWidth: outWidth, firstRow: rows.lowerBound)
                        DispatchQueue.concurrentPerform(iterations: blocks) { block in
                            let share = rows.count / blocks, extra = rows.count % blocks
                            let first = block * share + min(block, extra)
                            pass.run(rows: first..<(first + share + (block < extra ? 1 : 0)))
                        }
                    }
                }
            }
        }
        return out
    }

    /// The horizontal pass over the buffers its blocks share: each block writes only its own
    /// output rows.
    private struct HorizontalPass: @unchecked Sendable {
        let src: UnsafePointer<UInt8>, inWidth: Int
        let weights: UnsafePointer<Int32>, bounds: UnsafePointer<Int>, size: Int
        let dst: UnsafeMutablePointer<UInt8>, outWidth: Int
        /// The source row of output row 0.
        let firstRow: Int

        func run(rows: Range<Int>) {
            let half = Int32(1 << (BilinearResize.precisionBits - 1))
            for row in rows {
                let inRow = src + (firstRow + row) * inWidth * 3
                let outRow = dst + row * outWidth * 3
                for xx in 0..<outWidth {
                    let count = bounds[2 * xx + 1]
                    var p = inRow + bounds[2 * xx] * 3
                    let k = weights + xx * size
                    var s0 = half, s1 = half, s2 = half
                    for x in 0..<count {
                        let w = k[x]
                        s0 &+= Int32(p[0]) &* w
                        s1 &+= Int32(p[1]) &* w
                        s2 &+= Int32(p[2]) &* w
                        p += 3
                    }
                    outRow[xx * 3] = BilinearResize.clip8(s0)
                    outRow[xx * 3 + 1] = BilinearResize.clip8(s1)
                    outRow[xx * 3 + 2] = BilinearResize.clip8(s2)
                }
            }
        }
    }

    /// Row by row: each source row, times its weight, is added into an accumulator row,
    /// a loop the compiler vectorises.
    static func verticalPass(_ image: RGBImage, _ c: Coefficients, outHeight: Int) -> RGBImage {
        let rowBytes = image.width * 3
        var out = RGBImage(width: image.width, height: outHeight)
        let half = Int32(1 << (precisionBits - 1))
        var sums = [Int32](repeating: 0, count: rowBytes)
        image.pixels.withUnsafeBufferPointer { srcBuffer in
            out.pixels.withUnsafeMutableBufferPointer { dstBuffer in
                sums.withUnsafeMutableBufferPointer { acc in
                    guard let src = srcBuffer.baseAddress, let dst = dstBuffer.baseAddress else { return }
                    for yy in 0..<outHeight {
                        let ymin = c.bounds[2 * yy], count = c.bounds[2 * yy + 1]
                        for i in 0..<rowBytes { acc[i] = half }
                        for y in 0..<count {
                            let w = c.weights[yy * c.size + y]
                            let row = src + (ymin + y) * rowBytes
                            for i in 0..<rowBytes { acc[i] &+= Int32(row[i]) &* w }
                        }
                        let outRow = dst + yy * rowBytes
                        for i in 0..<rowBytes { outRow[i] = clip8(acc[i]) }
                    }
                }
            }
        }
        return out
    }
}

/// Mapping points between an image and a resized copy, under the pixel-centre convention
/// of `BilinearResize`.
public struct ResizeGeometry: Sendable, Hashable {
    public var fromWidth: Int, fromHeight: Int, toWidth: Int, toHeight: Int

    public init(fromWidth: Int, fromHeight: Int, toWidth: Int, toHeight: Int) {
        self.fromWidth = fromWidth
        self.fromHeight = fromHeight
        self.toWidth = toWidth
        self.toHeight = toHeight
    }

    /// A point (continuous coordinates, pixel edges at integers) in the resized image.
    public func forward(x: Double, y: Double) -> (x: Double, y: Double) {
        (x * Double(toWidth) / Double(fromWidth), y * Double(toHeight) / Double(fromHeight))
    }

    /// A point of the resized image back in the original.
    public func backward(x: Double, y: Double) -> (x: Double, y: Double) {
        (x * Double(fromWidth) / Double(toWidth), y * Double(fromHeight) / Double(toHeight))
    }
}
