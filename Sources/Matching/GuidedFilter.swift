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
        let (a, b) = coefficients(input)
        var output = [Float](repeating: 0, count: input.count)
        for index in input.indices { output[index] = a[0][index] * guide[index] + b[index] }
        return output
    }

    /// The box means of the local linear model's coefficients: output = a · guide + b.
    func coefficients(_ input: [Float]) -> (a: [[Float]], b: [Float]) {
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
        return ([BoxFilter.mean(a, width: width, height: height, radius: radius)],
                BoxFilter.mean(b, width: width, height: height, radius: radius))
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

/// The guided filter with the colour image as guide (He et al. 2013, §3.5): a local linear
/// model per colour channel, so an edge between two colours of equal brightness still holds.
struct ColourGuidedFilter {
    let width: Int, height: Int
    let radius: Int
    /// The guide's three planes (0...1), their box means, and per pixel the inverse of the
    /// regularised 3 × 3 covariance (symmetric: rr, rg, rb, gg, gb, bb).
    private let planes: [[Float]]
    private let means: [[Float]]
    private let inverse: [[Float]]

    /// `rgb`: the window's interleaved colours in 0...1.
    init(rgb: [Float], width: Int, height: Int, radius: Int, epsilon: Float) {
        self.width = width
        self.height = height
        self.radius = max(1, radius)
        let count = width * height
        let r = max(1, radius)
        let guide = (0..<3).map { channel in (0..<count).map { rgb[3 * $0 + channel] } }
        let guideMeans = guide.map { BoxFilter.mean($0, width: width, height: height, radius: r) }
        let pairs = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
        let products = pairs.map { pair in
            BoxFilter.mean((0..<count).map { guide[pair.0][$0] * guide[pair.1][$0] }, width: width, height: height,
                           radius: r)
        }
        var inverse = [[Float]](repeating: [Float](repeating: 0, count: count), count: 6)
        for index in 0..<count {
            func covariance(_ k: Int) -> Float {
                let (i, j) = pairs[k]
                return products[k][index] - guideMeans[i][index] * guideMeans[j][index] + (i == j ? epsilon : 0)
            }
            let (a, b, c, d, e, f) = (covariance(0), covariance(1), covariance(2), covariance(3), covariance(4), covariance(5))
            // The inverse of [[a b c] [b d e] [c e f]] by cofactors.
            let (ia, ib, ic) = (d * f - e * e, c * e - b * f, b * e - c * d)
            let determinant = a * ia + b * ib + c * ic
            let scale = determinant != 0 ? 1 / determinant : 0
            inverse[0][index] = ia * scale
            inverse[1][index] = ib * scale
            inverse[2][index] = ic * scale
            inverse[3][index] = (a * f - c * c) * scale
            inverse[4][index] = (b * c - a * e) * scale
            inverse[5][index] = (a * d - b * b) * scale
        }
        planes = guide
        means = guideMeans
        self.inverse = inverse
    }

    func apply(_ input: [Float]) -> [Float] {
        let (meanA, meanB) = coefficients(input)
        var output = [Float](repeating: 0, count: input.count)
        for index in input.indices {
            output[index] = meanA[0][index] * planes[0][index] + meanA[1][index] * planes[1][index]
                + meanA[2][index] * planes[2][index] + meanB[index]
        }
        return output
    }

    /// The box means of the coefficients: output = Σ a_c · guide_c + b.
    func coefficients(_ input: [Float]) -> (a: [[Float]], b: [Float]) {
        let count = input.count
        let meanInput = BoxFilter.mean(input, width: width, height: height, radius: radius)
        let crossMeans = planes.map { plane in
            BoxFilter.mean((0..<count).map { plane[$0] * input[$0] }, width: width, height: height, radius: radius)
        }
        var a = [[Float]](repeating: [Float](repeating: 0, count: count), count: 3)
        var b = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let v0 = crossMeans[0][index] - means[0][index] * meanInput[index]
            let v1 = crossMeans[1][index] - means[1][index] * meanInput[index]
            let v2 = crossMeans[2][index] - means[2][index] * meanInput[index]
            let m = (inverse[0][index], inverse[1][index], inverse[2][index], inverse[3][index], inverse[4][index], inverse[5][index])
            let a0 = m.0 * v0 + m.1 * v1 + m.2 * v2
            let a1 = m.1 * v0 + m.3 * v1 + m.4 * v2
            let a2 = m.2 * v0 + m.4 * v1 + m.5 * v2
            a[0][index] = a0
            a[1][index] = a1
            a[2][index] = a2
            b[index] = meanInput[index] - a0 * means[0][index] - a1 * means[1][index] - a2 * means[2][index]
        }
        return (a.map { BoxFilter.mean($0, width: width, height: height, radius: radius) },
                BoxFilter.mean(b, width: width, height: height, radius: radius))
    }
}
