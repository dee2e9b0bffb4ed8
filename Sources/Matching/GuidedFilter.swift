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
        guide.withUnsafeBufferPointer { guide in
            planes.withUnsafeMutableBufferPointer { planes in
                for index in 0..<count {
                    for channel in 0..<channels { planes[channel * count + index] = guide[channels * index + channel] }
                }
            }
        }
        var means = [Float](repeating: 0, count: channels * count)
        BoxFilter.mean(planes, into: &means, planes: channels, width: width, height: height, radius: r)
        // The box means of the products of plane pairs: (0, 0) for grey; the six of a
        // symmetric 3 × 3 for colour.
        let pairs = channels == 1 ? [(0, 0)] : [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
        var products = [Float](repeating: 0, count: pairs.count * count)
        planes.withUnsafeBufferPointer { planes in
            products.withUnsafeMutableBufferPointer { products in
                let (planes, products) = (planes.baseAddress!, products.baseAddress!)
                for (k, (i, j)) in pairs.enumerated() {
                    eightAtATime(count) { index, n in
                        products.store(planes.lanes(i * count + index, n) * planes.lanes(j * count + index, n), k * count + index, n)
                    }
                }
            }
        }
        BoxFilter.mean(products, into: &products, planes: pairs.count, width: width, height: height, radius: r)
        var inverse = [Float](repeating: 0, count: pairs.count * count)
        means.withUnsafeBufferPointer { m in
            products.withUnsafeBufferPointer { p in
                inverse.withUnsafeMutableBufferPointer { inverse in
                    let (m, p, inverse) = (m.baseAddress!, p.baseAddress!, inverse.baseAddress!)
                    if channels == 1 {
                        eightAtATime(count) { index, n in
                            let mean = m.lanes(index, n)
                            inverse.store(1 / (p.lanes(index, n) - mean * mean + epsilon), index, n)
                        }
                        return
                    }
                    eightAtATime(count) { index, n in
                        let (m0, m1, m2) = (m.lanes(index, n), m.lanes(count + index, n), m.lanes(2 * count + index, n))
                        let a = p.lanes(index, n) - m0 * m0 + epsilon
                        let b = p.lanes(count + index, n) - m0 * m1
                        let c = p.lanes(2 * count + index, n) - m0 * m2
                        let d = p.lanes(3 * count + index, n) - m1 * m1 + epsilon
                        let e = p.lanes(4 * count + index, n) - m1 * m2
                        let f = p.lanes(5 * count + index, n) - m2 * m2 + epsilon
                        // The inverse of [[a b c] [b d e] [c e f]] by cofactors.
                        let (ia, ib, ic) = (d * f - e * e, c * e - b * f, b * e - c * d)
                        let determinant = a * ia + b * ib + c * ic
                        let scale = (1 / determinant).replacing(with: 0, where: determinant .== 0)
                        inverse.store(ia * scale, index, n)
                        inverse.store(ib * scale, count + index, n)
                        inverse.store(ic * scale, 2 * count + index, n)
                        inverse.store((a * f - c * c) * scale, 3 * count + index, n)
                        inverse.store((b * c - a * e) * scale, 4 * count + index, n)
                        inverse.store((a * d - b * b) * scale, 5 * count + index, n)
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
                    let (moments, planes, input) = (moments.baseAddress!, planes.baseAddress!, input.baseAddress!)
                    moments.update(from: input, count: count)
                    for channel in 0..<channels {
                        let plane = planes + channel * imageCount, product = moments + (channel + 1) * count
                        for y in 0..<h {
                            let guide = plane + (y0 + y) * imageWidth + x0, local = y * w
                            eightAtATime(w) { x, n in product.store(guide.lanes(x, n) * input.lanes(local + x, n), local + x, n) }
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
                        let (out, moments, means, inverse) = (out.baseAddress!, moments.baseAddress!, means.baseAddress!, inverse.baseAddress!)
                        let (a0, a1, a2) = (out, out + count, out + 2 * count)
                        let b = out + channels * count
                        for y in 0..<h {
                            let row = y * w, imageRow = (y0 + y) * imageWidth + x0
                            eightAtATime(w) { x, n in
                                let local = row + x, global = imageRow + x
                                let p = moments.lanes(local, n)
                                let mean0 = means.lanes(global, n)
                                if channels == 1 {
                                    let a = (moments.lanes(count + local, n) - mean0 * p) * inverse.lanes(global, n)
                                    a0.store(a, local, n)
                                    b.store(p - a * mean0, local, n)
                                    return
                                }
                                let (mean1, mean2) = (means.lanes(imageCount + global, n), means.lanes(2 * imageCount + global, n))
                                let v0 = moments.lanes(count + local, n) - mean0 * p
                                let v1 = moments.lanes(2 * count + local, n) - mean1 * p
                                let v2 = moments.lanes(3 * count + local, n) - mean2 * p
                                let (m0, m1, m2) = (inverse.lanes(global, n), inverse.lanes(imageCount + global, n),
                                                    inverse.lanes(2 * imageCount + global, n))
                                let (m3, m4, m5) = (inverse.lanes(3 * imageCount + global, n), inverse.lanes(4 * imageCount + global, n),
                                                    inverse.lanes(5 * imageCount + global, n))
                                let c0 = m0 * v0 + m1 * v1 + m2 * v2
                                let c1 = m1 * v0 + m3 * v1 + m4 * v2
                                let c2 = m2 * v0 + m4 * v1 + m5 * v2
                                a0.store(c0, local, n)
                                a1.store(c1, local, n)
                                a2.store(c2, local, n)
                                b.store(p - c0 * mean0 - c1 * mean1 - c2 * mean2, local, n)
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
        let cellOf = (0..<width).map { $0 / step }
        image.pixels.withUnsafeBufferPointer { pixels in
            sums.withUnsafeMutableBufferPointer { sums in
                counts.withUnsafeMutableBufferPointer { counts in
                    for y in 0..<height {
                        let cells = (y / step) * smallWidth, row = y * width * 3
                        for x in 0..<width {
                            let cell = cells + cellOf[x], pixel = row + 3 * x
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
            }
        }
        for cell in counts.indices {
            for channel in 0..<channels { sums[cell * channels + channel] /= counts[cell] * 255 }
        }
        return sums
    }

    /// `values` cover the window at (x0, y0) of `width` × `height`; the refined values.
    func apply(_ values: [Float], x0: Int, y0: Int, width: Int, height: Int) -> [Float] {
        let channels = filter.channels, planes = channels + 1
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
                        let (c, out) = (c.baseAddress!, out.baseAddress!)
                        for y in 0..<height {
                            let row = y * width, pixel = ((y0 + y) * image.width + x0) * 3
                            eightAtATime(width) { x, n in
                                let value = Self.refined(channels: channels, pixels: pixels, pixel: pixel + 3 * x, n) {
                                    c.lanes($0 * planeCount + row + x, n)
                                }
                                out.store(value, row + x, n)
                            }
                        }
                    }
                }
            }
            return output
        }
        var small = [Float](repeating: 0, count: planeCount)
        var counts = [Float](repeating: 0, count: planeCount)
        let cellOf = (0..<width).map { (x0 + $0) / step - sx0 }
        values.withUnsafeBufferPointer { values in
            small.withUnsafeMutableBufferPointer { small in
                counts.withUnsafeMutableBufferPointer { counts in
                    for y in 0..<height {
                        let cells = ((y0 + y) / step - sy0) * smallWidth, row = y * width
                        for x in 0..<width {
                            small[cells + cellOf[x]] += values[row + x]
                            counts[cells + cellOf[x]] += 1
                        }
                    }
                }
            }
        }
        for cell in small.indices where counts[cell] > 0 { small[cell] /= counts[cell] }
        let coefficients = filter.coefficients(small, x0: sx0, y0: sy0, width: smallWidth, height: smallHeight)
        // Coefficients back to full resolution (bilinear on block centres: down the reduced
        // rows, then along the row), applied to the full-resolution guide.
        let xs = (0..<width).map { PixelToGrid(pixel: x0 + $0 - sx0 * step, scale: 1 / Double(step), cells: smallWidth) }
        let (lows, highs, weights) = (xs.map(\.low), xs.map(\.high), xs.map(\.weight))
        var reducedRow = [Float](repeating: 0, count: planes * smallWidth)
        coefficients.withUnsafeBufferPointer { c in
            image.pixels.withUnsafeBufferPointer { pixels in
                output.withUnsafeMutableBufferPointer { out in
                    reducedRow.withUnsafeMutableBufferPointer { reduced in
                        lows.withUnsafeBufferPointer { lows in
                            highs.withUnsafeBufferPointer { highs in
                                weights.withUnsafeBufferPointer { weights in
                                    let (out, weights) = (out.baseAddress!, weights.baseAddress!)
                                    for y in 0..<height {
                                        let row = PixelToGrid(pixel: y0 + y - sy0 * step, scale: 1 / Double(step), cells: smallHeight)
                                        for plane in 0..<planes {
                                            let base = plane * planeCount, values = plane * smallWidth
                                            for column in 0..<smallWidth {
                                                let top = c[base + row.low * smallWidth + column]
                                                let bottom = c[base + row.high * smallWidth + column]
                                                reduced[values + column] = top + (bottom - top) * row.weight
                                            }
                                        }
                                        let pixel = ((y0 + y) * image.width + x0) * 3
                                        eightAtATime(width) { x, n in
                                            let weight = weights.lanes(x, n)
                                            let value = Self.refined(channels: channels, pixels: pixels, pixel: pixel + 3 * x, n) { plane in
                                                let values = plane * smallWidth
                                                let left = gathered(n) { reduced[values + lows[x + $0]] }
                                                let right = gathered(n) { reduced[values + highs[x + $0]] }
                                                return left + (right - left) * weight
                                            }
                                            out.store(value, y * width + x, n)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The refined values, b + Σ a_c · guide_c, of `count` pixels from `pixel` on, from their
    /// coefficients (`plane` 0..<channels: a_c; `channels`: b).
    @inline(__always)
    private static func refined(channels: Int, pixels: UnsafeBufferPointer<UInt8>, pixel: Int, _ count: Int,
                                _ coefficient: (_ plane: Int) -> Lanes) -> Lanes {
        var value = coefficient(channels)
        let (r, g, b) = colourLanes(pixels, pixel, count)
        if channels == 3 {
            value += coefficient(0) * r * (1 / 255)
            value += coefficient(1) * g * (1 / 255)
            value += coefficient(2) * b * (1 / 255)
        } else {
            value += coefficient(0) * (0.299 * r + 0.587 * g + 0.114 * b) * (1 / 255)
        }
        return value
    }
}
