// Edge-aware refinement of coarse masks: He et al.'s guided filter, with the grey image or
// the colour image as guide (a colour edge holds even between equal brightnesses). The
// guide's statistics are computed once per image; each mask is then filtered inside its own
// window only (`MaskRefinement`).
import Imaging

struct GuidedFilter {
    let width: Int, height: Int
    let channels: Int
    let radius: Int
    /// The guide's planes (values in 0...1), one after another, and their box means.
    let planes: [Float]
    private let means: [Float]
    /// Per pixel, one plane each: 1 / (variance + ε) for a grey guide; the inverse of the
    /// regularised 3 × 3 covariance (rr, rg, rb, gg, gb, bb) for a colour guide.
    private let inverse: [Float]

    /// `guide`: `channels` (1 or 3) interleaved values per pixel, in 0...1.
    init(guide: [Float], channels: Int, width: Int, height: Int, radius: Int, epsilon: Float) {
        let r = max(1, radius)
        let count = width * height
        var planes = [Float](repeating: 0, count: channels * count)
        for index in 0..<count {
            for channel in 0..<channels { planes[channel * count + index] = guide[channels * index + channel] }
        }
        var means = [Float](repeating: 0, count: channels * count)
        BoxFilter.mean(planes, into: &means, planes: channels, width: width, height: height, radius: r)
        // The box means of the products of plane pairs: (0, 0) for grey; the six of a
        // symmetric 3 × 3 for colour.
        let pairs = channels == 1 ? [(0, 0)] : [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
        var products = [Float](repeating: 0, count: pairs.count * count)
        planes.withUnsafeBufferPointer { planes in
            products.withUnsafeMutableBufferPointer { products in
                for (k, (i, j)) in pairs.enumerated() {
                    for index in 0..<count { products[k * count + index] = planes[i * count + index] * planes[j * count + index] }
                }
            }
        }
        BoxFilter.mean(products, into: &products, planes: pairs.count, width: width, height: height, radius: r)
        var inverse = [Float](repeating: 0, count: pairs.count * count)
        means.withUnsafeBufferPointer { m in
            products.withUnsafeBufferPointer { p in
                inverse.withUnsafeMutableBufferPointer { inverse in
                    if channels == 1 {
                        for index in 0..<count { inverse[index] = 1 / (p[index] - m[index] * m[index] + epsilon) }
                        return
                    }
                    for index in 0..<count {
                        let (m0, m1, m2) = (m[index], m[count + index], m[2 * count + index])
                        let a = p[index] - m0 * m0 + epsilon
                        let b = p[count + index] - m0 * m1
                        let c = p[2 * count + index] - m0 * m2
                        let d = p[3 * count + index] - m1 * m1 + epsilon
                        let e = p[4 * count + index] - m1 * m2
                        let f = p[5 * count + index] - m2 * m2 + epsilon
                        // The inverse of [[a b c] [b d e] [c e f]] by cofactors.
                        let (ia, ib, ic) = (d * f - e * e, c * e - b * f, b * e - c * d)
                        let determinant = a * ia + b * ib + c * ic
                        let scale = determinant != 0 ? 1 / determinant : 0
                        inverse[index] = ia * scale
                        inverse[count + index] = ib * scale
                        inverse[2 * count + index] = ic * scale
                        inverse[3 * count + index] = (a * f - c * c) * scale
                        inverse[4 * count + index] = (b * c - a * e) * scale
                        inverse[5 * count + index] = (a * d - b * b) * scale
                    }
                }
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
        let count = width * height
        let coefficients = coefficients(input, x0: 0, y0: 0, width: width, height: height)
        var output = Array(coefficients[(channels * count)...])
        for index in output.indices {
            for channel in 0..<channels { output[index] += coefficients[channel * count + index] * planes[channel * count + index] }
        }
        return output
    }

    /// The box means of the local linear model's coefficients (output = Σ a_c · guide_c + b)
    /// for `input`, which covers the window at (x0, y0) of `width` × `height` and is taken as
    /// zero outside it: the planes a_0 … a_(channels−1), then b, each `width` × `height`.
    func coefficients(_ input: [Float], x0: Int, y0: Int, width w: Int, height h: Int) -> [Float] {
        let count = w * h, imageCount = width * height, imageWidth = width, channels = channels
        // The input's mean, then its products with each guide plane, then their means.
        var moments = [Float](repeating: 0, count: (channels + 1) * count)
        moments.withUnsafeMutableBufferPointer { moments in
            planes.withUnsafeBufferPointer { planes in
                input.withUnsafeBufferPointer { input in
                    for index in 0..<count { moments[index] = input[index] }
                    for channel in 0..<channels {
                        let plane = planes.baseAddress! + channel * imageCount, product = moments.baseAddress! + (channel + 1) * count
                        for y in 0..<h {
                            for x in 0..<w { product[y * w + x] = plane[(y0 + y) * imageWidth + x0 + x] * input[y * w + x] }
                        }
                    }
                }
            }
        }
        BoxFilter.mean(moments, into: &moments, planes: channels + 1, width: w, height: h, radius: radius)
        var result = [Float](repeating: 0, count: (channels + 1) * count)
        result.withUnsafeMutableBufferPointer { out in
            moments.withUnsafeBufferPointer { moments in
                means.withUnsafeBufferPointer { means in
                    inverse.withUnsafeBufferPointer { inverse in
                        let (a0, a1, a2) = (out.baseAddress!, out.baseAddress! + count, out.baseAddress! + 2 * count)
                        let b = out.baseAddress! + channels * count
                        for y in 0..<h {
                            for x in 0..<w {
                                let local = y * w + x, global = (y0 + y) * imageWidth + x0 + x
                                let p = moments[local]
                                let mean0 = means[global]
                                if channels == 1 {
                                    let a = (moments[count + local] - mean0 * p) * inverse[global]
                                    a0[local] = a
                                    b[local] = p - a * mean0
                                } else {
                                    let (mean1, mean2) = (means[imageCount + global], means[2 * imageCount + global])
                                    let v0 = moments[count + local] - mean0 * p
                                    let v1 = moments[2 * count + local] - mean1 * p
                                    let v2 = moments[3 * count + local] - mean2 * p
                                    let (m0, m1, m2) = (inverse[global], inverse[imageCount + global], inverse[2 * imageCount + global])
                                    let (m3, m4, m5) = (inverse[3 * imageCount + global], inverse[4 * imageCount + global],
                                                        inverse[5 * imageCount + global])
                                    let c0 = m0 * v0 + m1 * v1 + m2 * v2
                                    let c1 = m1 * v0 + m3 * v1 + m4 * v2
                                    let c2 = m2 * v0 + m4 * v1 + m5 * v2
                                    a0[local] = c0
                                    a1[local] = c1
                                    a2[local] = c2
                                    b[local] = p - c0 * mean0 - c1 * mean1 - c2 * mean2
                                }
                            }
                        }
                    }
                }
            }
        }
        BoxFilter.mean(result, into: &result, planes: channels + 1, width: w, height: h, radius: radius)
        return result
    }
}

enum BoxFilter {
    /// The mean over the (2r+1)² window clipped to the image: sliding sums along each row,
    /// then down the columns all at once (row by row, so memory is read in order).
    static func mean(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        var result = [Float](repeating: 0, count: width * height)
        mean(values, into: &result, planes: 1, width: width, height: height, radius: radius)
        return result
    }

    /// The means of `planes` planes of `width` × `height` laid one after another; `result`
    /// may be `values` itself.
    static func mean(_ values: [Float], into result: inout [Float], planes: Int, width: Int, height: Int, radius: Int) {
        let count = width * height
        var rows = [Float](repeating: 0, count: count)
        var sums = [Double](repeating: 0, count: width)
        values.withUnsafeBufferPointer { values in
            rows.withUnsafeMutableBufferPointer { rows in
                sums.withUnsafeMutableBufferPointer { sums in
                    result.withUnsafeMutableBufferPointer { result in
                        for plane in 0..<planes {
                            rowPass(values.baseAddress! + plane * count, into: rows.baseAddress!, width: width, height: height, radius: radius)
                            columnPass(UnsafePointer(rows.baseAddress!), into: result.baseAddress! + plane * count, sums: sums.baseAddress!,
                                       width: width, height: height, radius: radius)
                        }
                    }
                }
            }
        }
    }

    /// Four rows at a time, each in its own lane: the running sums are four independent
    /// chains of additions instead of one (the same additions, in the same order, per row).
    private static func rowPass(_ input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, width: Int, height: Int, radius: Int) {
        var y = 0
        while y + 4 <= height {
            let lines = (input + y * width, input + (y + 1) * width, input + (y + 2) * width, input + (y + 3) * width)
            @inline(__always) func column(_ x: Int) -> SIMD4<Double> {
                SIMD4(Double(lines.0[x]), Double(lines.1[x]), Double(lines.2[x]), Double(lines.3[x]))
            }
            var sum = SIMD4<Double>(repeating: 0)
            for x in 0..<min(width, radius) { sum += column(x) }
            for x in 0..<width {
                if x + radius < width { sum += column(x + radius) }
                if x - radius - 1 >= 0 { sum -= column(x - radius - 1) }
                let mean = SIMD4<Float>(sum) / Float(min(width - 1, x + radius) - max(0, x - radius) + 1)
                for lane in 0..<4 { out[(y + lane) * width + x] = mean[lane] }
            }
            y += 4
        }
        for y in y..<height {
            let line = input + y * width, target = out + y * width
            var sum: Double = 0
            for x in 0..<min(width, radius) { sum += Double(line[x]) }
            for x in 0..<width {
                if x + radius < width { sum += Double(line[x + radius]) }
                if x - radius - 1 >= 0 { sum -= Double(line[x - radius - 1]) }
                target[x] = Float(sum) / Float(min(width - 1, x + radius) - max(0, x - radius) + 1)
            }
        }
    }

    private static func columnPass(_ input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Double>,
                                   width: Int, height: Int, radius: Int) {
        sums.update(repeating: 0, count: width)
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
        if step == 1 {
            return colour ? image.pixels.map { Float($0) / 255 } : GuidedFilter.grey(image.pixels, count: width * height)
        }
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
        let planeCount = smallWidth * smallHeight
        var output = [Float](repeating: 0, count: width * height)
        if step == 1 {
            // Full resolution: the coefficients apply to the pixels as they are.
            let coefficients = filter.coefficients(values, x0: x0, y0: y0, width: width, height: height)
            coefficients.withUnsafeBufferPointer { c in
                image.pixels.withUnsafeBufferPointer { pixels in
                    output.withUnsafeMutableBufferPointer { out in
                        for y in 0..<height {
                            for x in 0..<width {
                                let local = y * width + x, pixel = ((y0 + y) * image.width + x0 + x) * 3
                                out[local] = Self.refined(channels: channels, pixels: pixels, pixel: pixel) { c[$0 * planeCount + local] }
                            }
                        }
                    }
                }
            }
            return output
        }
        var small = [Float](repeating: 0, count: planeCount)
        var counts = [Float](repeating: 0, count: planeCount)
        for y in 0..<height {
            for x in 0..<width {
                let cell = ((y0 + y) / step - sy0) * smallWidth + (x0 + x) / step - sx0
                small[cell] += values[y * width + x]
                counts[cell] += 1
            }
        }
        for cell in small.indices where counts[cell] > 0 { small[cell] /= counts[cell] }
        let coefficients = filter.coefficients(small, x0: sx0, y0: sy0, width: smallWidth, height: smallHeight)
        // Coefficients back to full resolution (bilinear on block centres, a row at a time),
        // applied to the full-resolution guide.
        let planes = channels + 1
        let xs = (0..<width).map { PixelToGrid(pixel: x0 + $0 - sx0 * step, scale: 1 / Double(step), cells: smallWidth) }
        var rowValues = [Float](repeating: 0, count: planes * smallWidth)
        coefficients.withUnsafeBufferPointer { c in
            image.pixels.withUnsafeBufferPointer { pixels in
                output.withUnsafeMutableBufferPointer { out in
                    rowValues.withUnsafeMutableBufferPointer { values in
                        for y in 0..<height {
                            let row = PixelToGrid(pixel: y0 + y - sy0 * step, scale: 1 / Double(step), cells: smallHeight)
                            for plane in 0..<planes {
                                let base = plane * planeCount
                                for column in 0..<smallWidth {
                                    let top = c[base + row.low * smallWidth + column], bottom = c[base + row.high * smallWidth + column]
                                    values[plane * smallWidth + column] = top + (bottom - top) * row.weight
                                }
                            }
                            for x in 0..<width {
                                let column = xs[x], pixel = ((y0 + y) * image.width + x0 + x) * 3
                                out[y * width + x] = Self.refined(channels: channels, pixels: pixels, pixel: pixel) { plane in
                                    let left = values[plane * smallWidth + column.low], right = values[plane * smallWidth + column.high]
                                    return left + (right - left) * column.weight
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// One pixel's refined value, b + Σ a_c · guide_c, from its coefficients (`plane`
    /// 0..<channels: a_c; `channels`: b).
    @inline(__always)
    private static func refined(channels: Int, pixels: UnsafeBufferPointer<UInt8>, pixel: Int, _ coefficient: (Int) -> Float) -> Float {
        var value = coefficient(channels)
        if channels == 3 {
            for channel in 0..<3 { value += coefficient(channel) * Float(pixels[pixel + channel]) * (1 / 255) }
        } else {
            let grey = GuidedFilter.grey(Float(pixels[pixel]), Float(pixels[pixel + 1]), Float(pixels[pixel + 2]))
            value += coefficient(0) * grey * (1 / 255)
        }
        return value
    }
}
