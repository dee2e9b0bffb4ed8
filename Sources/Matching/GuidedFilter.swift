// Edge-aware refinement of coarse masks: He et al.'s guided filter, with the grey image or
// the colour image as guide (a colour edge holds even between equal brightnesses). The
// guide's statistics are computed once per image; each mask is then filtered inside its own
// window only.

struct GuidedFilter {
    let width: Int, height: Int
    let channels: Int
    let radius: Int
    /// The guide's planes (values in 0...1) and their box means.
    let planes: [[Float]]
    private let means: [[Float]]
    /// Per pixel: 1 / (variance + ε) for a grey guide; the inverse of the regularised 3 × 3
    /// covariance (rr, rg, rb, gg, gb, bb) for a colour guide.
    private let inverse: [[Float]]

    /// `guide`: `channels` (1 or 3) interleaved values per pixel, in 0...1.
    init(guide: [Float], channels: Int, width: Int, height: Int, radius: Int, epsilon: Float) {
        let r = max(1, radius)
        let count = width * height
        let planes = (0..<channels).map { channel in (0..<count).map { guide[channels * $0 + channel] } }
        let means = planes.map { BoxFilter.mean($0, width: width, height: height, radius: r) }
        func boxProduct(_ i: Int, _ j: Int) -> [Float] {
            var product = [Float](repeating: 0, count: count)
            for index in 0..<count { product[index] = planes[i][index] * planes[j][index] }
            return BoxFilter.mean(product, width: width, height: height, radius: r)
        }
        var inverse: [[Float]]
        if channels == 1 {
            let squares = boxProduct(0, 0)
            inverse = [(0..<count).map { 1 / (squares[$0] - means[0][$0] * means[0][$0] + epsilon) }]
        } else {
            let pairs = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
            let products = pairs.map { boxProduct($0.0, $0.1) }
            inverse = [[Float]](repeating: [Float](repeating: 0, count: count), count: 6)
            for index in 0..<count {
                func covariance(_ k: Int) -> Float {
                    let (i, j) = pairs[k]
                    return products[k][index] - means[i][index] * means[j][index] + (i == j ? epsilon : 0)
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
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.radius = r
        self.planes = planes
        self.means = means
        self.inverse = inverse
    }

    /// Grey levels in 0...1 of RGB pixels (ITU-R BT.601 weights).
    static func grey(_ pixels: [UInt8], count: Int) -> [Float] {
        var grey = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let r = Float(pixels[3 * index]), g = Float(pixels[3 * index + 1]), b = Float(pixels[3 * index + 2])
            grey[index] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
        }
        return grey
    }

    /// The filtered `input` over the whole image.
    func apply(_ input: [Float]) -> [Float] {
        let (a, b) = coefficients(input, x0: 0, y0: 0, width: width, height: height)
        var output = b
        for index in output.indices {
            for channel in 0..<channels { output[index] += a[channel][index] * planes[channel][index] }
        }
        return output
    }

    /// The box means of the local linear model's coefficients (output = Σ a_c · guide_c + b)
    /// for `input`, which covers the window at (x0, y0) of `width` × `height` and is taken as
    /// zero outside it.
    func coefficients(_ input: [Float], x0: Int, y0: Int, width w: Int, height h: Int) -> (a: [[Float]], b: [Float]) {
        let count = w * h
        func at(_ x: Int, _ y: Int) -> Int { (y0 + y) * width + x0 + x }
        let meanInput = BoxFilter.mean(input, width: w, height: h, radius: radius)
        let crossMeans = (0..<channels).map { channel -> [Float] in
            var product = [Float](repeating: 0, count: count)
            for y in 0..<h { for x in 0..<w { product[y * w + x] = planes[channel][at(x, y)] * input[y * w + x] } }
            return BoxFilter.mean(product, width: w, height: h, radius: radius)
        }
        var a = [[Float]](repeating: [Float](repeating: 0, count: count), count: channels)
        var b = [Float](repeating: 0, count: count)
        for y in 0..<h {
            for x in 0..<w {
                let local = y * w + x, global = at(x, y)
                let p = meanInput[local]
                if channels == 1 {
                    let a0 = (crossMeans[0][local] - means[0][global] * p) * inverse[0][global]
                    a[0][local] = a0
                    b[local] = p - a0 * means[0][global]
                } else {
                    let v0 = crossMeans[0][local] - means[0][global] * p
                    let v1 = crossMeans[1][local] - means[1][global] * p
                    let v2 = crossMeans[2][local] - means[2][global] * p
                    let (m0, m1, m2) = (inverse[0][global], inverse[1][global], inverse[2][global])
                    let (m3, m4, m5) = (inverse[3][global], inverse[4][global], inverse[5][global])
                    let a0 = m0 * v0 + m1 * v1 + m2 * v2
                    let a1 = m1 * v0 + m3 * v1 + m4 * v2
                    let a2 = m2 * v0 + m4 * v1 + m5 * v2
                    a[0][local] = a0
                    a[1][local] = a1
                    a[2][local] = a2
                    b[local] = p - a0 * means[0][global] - a1 * means[1][global] - a2 * means[2][global]
                }
            }
        }
        return (a.map { BoxFilter.mean($0, width: w, height: h, radius: radius) }, BoxFilter.mean(b, width: w, height: h, radius: radius))
    }
}

enum BoxFilter {
    /// The mean over the (2r+1)² window clipped to the image: sliding sums along each row,
    /// then down the columns all at once (row by row, so memory is read in order).
    static func mean(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        var rows = [Float](repeating: 0, count: width * height)
        values.withUnsafeBufferPointer { input in
            rows.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let line = input.baseAddress! + y * width, target = out.baseAddress! + y * width
                    var sum: Double = 0
                    for x in 0..<min(width, radius) { sum += Double(line[x]) }
                    for x in 0..<width {
                        if x + radius < width { sum += Double(line[x + radius]) }
                        if x - radius - 1 >= 0 { sum -= Double(line[x - radius - 1]) }
                        target[x] = Float(sum) / Float(min(width - 1, x + radius) - max(0, x - radius) + 1)
                    }
                }
            }
        }
        var result = [Float](repeating: 0, count: width * height)
        var sums = [Double](repeating: 0, count: width)
        rows.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { out in
                for y in 0..<min(height, radius) {
                    for x in 0..<width { sums[x] += Double(input[y * width + x]) }
                }
                for y in 0..<height {
                    if y + radius < height { for x in 0..<width { sums[x] += Double(input[(y + radius) * width + x]) } }
                    if y - radius - 1 >= 0 { for x in 0..<width { sums[x] -= Double(input[(y - radius - 1) * width + x]) } }
                    let size = Float(min(height - 1, y + radius) - max(0, y - radius) + 1)
                    for x in 0..<width { out[y * width + x] = Float(sums[x]) / size }
                }
            }
        }
        return result
    }
}
