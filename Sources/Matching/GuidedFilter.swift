// Edge-aware refinement of coarse masks (He et al.'s guided filter with the grey image as
// guide): a patch-level indicator, upsampled to pixels, snaps to the image's own edges.

struct GuidedFilter {
    let width: Int, height: Int
    let radius: Int
    let epsilon: Float
    /// The guide (grey levels in 0...1), its box mean and box variance.
    private let guide: [Float]
    private let meanGuide: [Float]
    private let varianceGuide: [Float]

    /// Grey levels in 0...1 of RGB pixels (ITU-R BT.601 weights).
    static func grey(_ pixels: [UInt8], count: Int) -> [Float] {
        var grey = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let r = Float(pixels[3 * index]), g = Float(pixels[3 * index + 1]), b = Float(pixels[3 * index + 2])
            grey[index] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
        }
        return grey
    }

    init(grey: [Float], width: Int, height: Int, radius: Int, epsilon: Float) {
        self.width = width
        self.height = height
        self.radius = max(1, radius)
        self.epsilon = epsilon
        guide = grey
        let mean = BoxFilter.mean(grey, width: width, height: height, radius: self.radius)
        let squares = BoxFilter.mean(grey.map { $0 * $0 }, width: width, height: height, radius: self.radius)
        meanGuide = mean
        varianceGuide = zip(squares, mean).map { $0 - $1 * $1 }
    }

    /// The filtered version of `input` (one value per pixel, row-major).
    func apply(_ input: [Float]) -> [Float] {
        let meanInput = BoxFilter.mean(input, width: width, height: height, radius: radius)
        var product = [Float](repeating: 0, count: input.count)
        for index in input.indices { product[index] = guide[index] * input[index] }
        let meanProduct = BoxFilter.mean(product, width: width, height: height, radius: radius)
        var a = [Float](repeating: 0, count: input.count), b = a
        for index in input.indices {
            let covariance = meanProduct[index] - meanGuide[index] * meanInput[index]
            a[index] = covariance / (varianceGuide[index] + epsilon)
            b[index] = meanInput[index] - a[index] * meanGuide[index]
        }
        let meanA = BoxFilter.mean(a, width: width, height: height, radius: radius)
        let meanB = BoxFilter.mean(b, width: width, height: height, radius: radius)
        var output = [Float](repeating: 0, count: input.count)
        for index in input.indices { output[index] = meanA[index] * guide[index] + meanB[index] }
        return output
    }
}

enum BoxFilter {
    /// The mean over the (2r+1)² window clipped to the image: a sliding sum along rows,
    /// then along columns (the window is a product of the two, so is its pixel count).
    static func mean(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        var rows = [Float](repeating: 0, count: width * height)
        values.withUnsafeBufferPointer { input in
            rows.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    slide(input.baseAddress! + y * width, count: width, stride: 1, radius: radius,
                          into: out.baseAddress! + y * width)
                }
            }
        }
        var result = [Float](repeating: 0, count: width * height)
        rows.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { out in
                for x in 0..<width {
                    slide(input.baseAddress! + x, count: height, stride: width, radius: radius, into: out.baseAddress! + x)
                }
            }
        }
        return result
    }

    /// Window means along one line of `count` values `stride` apart; the running sum is a
    /// Double so that long lines do not drift.
    private static func slide(_ line: UnsafePointer<Float>, count: Int, stride: Int, radius: Int,
                              into out: UnsafeMutablePointer<Float>) {
        var sum: Double = 0
        for index in 0..<min(count, radius) { sum += Double(line[index * stride]) }
        for index in 0..<count {
            let entering = index + radius, leaving = index - radius - 1
            if entering < count { sum += Double(line[entering * stride]) }
            if leaving >= 0 { sum -= Double(line[leaving * stride]) }
            let size = min(count - 1, index + radius) - max(0, index - radius) + 1
            out[index * stride] = Float(sum / Double(size))
        }
    }
}
