// Edge-aware refinement of coarse masks: He et al.'s guided filter, with the grey image or
// the colour image as guide (a colour edge holds even between equal brightnesses). The
// guide's statistics are computed once per image; each mask is then filtered inside its own
// window only (`MaskRefinement`).
import Imaging

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

    /// The grey level of one colour (ITU-R BT.601 weights), in the colour's own scale.
    @inline(__always) static func grey(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

    /// Grey levels in 0...1 of RGB pixels.
    static func grey(_ pixels: [UInt8], count: Int) -> [Float] {
        (0..<count).map { grey(Float(pixels[3 * $0]), Float(pixels[3 * $0 + 1]), Float(pixels[3 * $0 + 2])) / 255 }
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

/// The guided-filter refinement of masks on one target image. Large images take He and
/// Sun's fast guided filter: the coefficients are fitted on a copy reduced so that the
/// radius spans about `Self.reducedRadius` pixels, upsampled, and applied to the full
/// guide. The guide's statistics are computed once, for every mask of the image.
struct MaskRefinement {
    static let reducedRadius = 12
    let image: RGBImage
    /// The reduction factor, and the filter over the reduced image.
    let step: Int
    let filter: GuidedFilter

    init(_ image: RGBImage, radius: Int, epsilon: Float, colour: Bool) {
        self.image = image
        step = max(1, radius / Self.reducedRadius)
        let channels = colour ? 3 : 1
        filter = GuidedFilter(guide: Self.reducedGuide(image, colour: colour, step: step), channels: channels,
                              width: (image.width + step - 1) / step, height: (image.height + step - 1) / step,
                              radius: max(1, radius / step), epsilon: epsilon)
    }

    /// The image as the filter's guide (colours, or grey levels, in 0...1), as block means
    /// of `step` × `step` pixels read straight from the bytes: a 40-megapixel image never
    /// exists as floats.
    static func reducedGuide(_ image: RGBImage, colour: Bool, step: Int) -> [Float] {
        let channels = colour ? 3 : 1
        let (width, height) = (image.width, image.height)
        let (smallWidth, smallHeight) = ((width + step - 1) / step, (height + step - 1) / step)
        var sums = [Float](repeating: 0, count: smallWidth * smallHeight * channels)
        var counts = [Float](repeating: 0, count: smallWidth * smallHeight)
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width {
                    let cell = (y / step) * smallWidth + x / step, pixel = (y * width + x) * 3
                    counts[cell] += 1
                    let (r, g, b) = (Float(pixels[pixel]), Float(pixels[pixel + 1]), Float(pixels[pixel + 2]))
                    if colour {
                        sums[cell * 3] += r
                        sums[cell * 3 + 1] += g
                        sums[cell * 3 + 2] += b
                    } else {
                        sums[cell] += GuidedFilter.grey(r, g, b)
                    }
                }
            }
        }
        for cell in counts.indices {
            for channel in 0..<channels { sums[cell * channels + channel] /= counts[cell] * 255 }
        }
        return sums
    }

    /// `values` cover the window at (x0, y0) of `width` × `height`; the refined values.
    func apply(_ values: [Float], x0: Int, y0: Int, width: Int, height: Int) -> [Float] {
        let channels = filter.channels
        // The window on the reduced grid, aligned to whole blocks.
        let (sx0, sy0) = (x0 / step, y0 / step)
        let (sx1, sy1) = ((x0 + width + step - 1) / step, (y0 + height + step - 1) / step)
        let (smallWidth, smallHeight) = (sx1 - sx0, sy1 - sy0)
        var small = [Float](repeating: 0, count: smallWidth * smallHeight)
        var counts = [Float](repeating: 0, count: smallWidth * smallHeight)
        for y in 0..<height {
            for x in 0..<width {
                let cell = ((y0 + y) / step - sy0) * smallWidth + (x0 + x) / step - sx0
                small[cell] += values[y * width + x]
                counts[cell] += 1
            }
        }
        for cell in small.indices where counts[cell] > 0 { small[cell] /= counts[cell] }
        let (a, b) = filter.coefficients(small, x0: sx0, y0: sy0, width: smallWidth, height: smallHeight)
        // Coefficients back to full resolution (bilinear on block centres, a row at a time),
        // applied to the full-resolution guide.
        var output = [Float](repeating: 0, count: width * height)
        let planes = a + [b]
        let xs = (0..<width).map { PixelToGrid(pixel: x0 + $0 - sx0 * step, scale: 1 / Double(step), cells: smallWidth) }
        var rowValues = [Float](repeating: 0, count: planes.count * smallWidth)
        image.pixels.withUnsafeBufferPointer { pixels in
            output.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let row = PixelToGrid(pixel: y0 + y - sy0 * step, scale: 1 / Double(step), cells: smallHeight)
                    for (index, plane) in planes.enumerated() {
                        plane.withUnsafeBufferPointer { plane in
                            for column in 0..<smallWidth {
                                let top = plane[row.low * smallWidth + column], bottom = plane[row.high * smallWidth + column]
                                rowValues[index * smallWidth + column] = top + (bottom - top) * row.weight
                            }
                        }
                    }
                    rowValues.withUnsafeBufferPointer { values in
                        for x in 0..<width {
                            let column = xs[x]
                            func sample(_ plane: Int) -> Float {
                                let left = values[plane * smallWidth + column.low], right = values[plane * smallWidth + column.high]
                                return left + (right - left) * column.weight
                            }
                            let pixel = ((y0 + y) * image.width + x0 + x) * 3
                            var value = sample(channels)
                            if channels == 3 {
                                for channel in 0..<3 { value += sample(channel) * Float(pixels[pixel + channel]) * (1 / 255) }
                            } else {
                                let grey = GuidedFilter.grey(Float(pixels[pixel]), Float(pixels[pixel + 1]), Float(pixels[pixel + 2]))
                                value += sample(0) * grey * (1 / 255)
                            }
                            out[y * width + x] = value
                        }
                    }
                }
            }
        }
        return output
    }
}
