// From patch segments to target instances: each segment's indicator interpolated to target
// pixels as a COCO RLE mask with a score, and every match labelled with the segment under
// its peak (or the nearest segment when the peak lies on background).
import Imaging

enum Grouping {
    /// Instances 1...count from the segments of `labels` (−1: none), in segment order: each
    /// segment's indicator interpolated bilinearly to pixels, refined on the image's edges
    /// when `refinement` is given, and a pixel given to the segment whose value reaches 0.5.
    /// Each segment is painted only inside its box, widened by a patch and the filter's reach.
    static func instances(labels: [Int], count: Int, foreground: [Float], geometry g: InputGeometry,
                          refinement: MaskRefinement?) throws -> [PredictedInstance] {
        guard count > 0 else { return [] }
        let (width, height, gw, gh) = (g.imageWidth, g.imageHeight, g.gridWidth, g.gridHeight)
        let xs = (0..<width).map { PixelToGrid(pixel: $0, scale: g.sx, cells: gw) }
        let ys = (0..<height).map { PixelToGrid(pixel: $0, scale: g.sy, cells: gh) }
        var best = [Float](repeating: 0.5, count: width * height)
        var owner = [Int16](repeating: -1, count: width * height)
        var indicator = [Float](repeating: 0, count: gw * gh)
        let reach = refinement.map { $0.filter.radius * $0.step } ?? 0
        for segment in 0..<count {
            var (i0, i1, j0, j1) = (gh, -1, gw, -1)
            for patch in labels.indices {
                let inside = labels[patch] == segment
                indicator[patch] = inside ? 1 : 0
                if inside {
                    let (i, j) = (patch / gw, patch % gw)
                    (i0, i1, j0, j1) = (min(i0, i), max(i1, i), min(j0, j), max(j1, j))
                }
            }
            guard i1 >= 0 else { continue }
            let x0 = max(0, Int(Double(j0 - 1) / g.sx) - reach), x1 = min(width, Int((Double(j1 + 2) / g.sx).rounded(.up)) + reach)
            let y0 = max(0, Int(Double(i0 - 1) / g.sy) - reach), y1 = min(height, Int((Double(i1 + 2) / g.sy).rounded(.up)) + reach)
            let (windowWidth, windowHeight) = (x1 - x0, y1 - y0)
            var soft = [Float](repeating: 0, count: windowWidth * windowHeight)
            for y in y0..<y1 {
                let row = ys[y]
                let top = row.low * gw, bottom = row.high * gw
                for x in x0..<x1 {
                    let column = xs[x]
                    let upper = indicator[top + column.low] + (indicator[top + column.high] - indicator[top + column.low]) * column.weight
                    let lower = indicator[bottom + column.low] + (indicator[bottom + column.high] - indicator[bottom + column.low]) * column.weight
                    soft[(y - y0) * windowWidth + (x - x0)] = upper + (lower - upper) * row.weight
                }
            }
            let values = refinement?.apply(soft, x0: x0, y0: y0, width: windowWidth, height: windowHeight) ?? soft
            for y in y0..<y1 {
                for x in x0..<x1 {
                    let value = values[(y - y0) * windowWidth + (x - x0)], index = y * width + x
                    // Ties at exactly 0.5 go to the first segment that reaches them.
                    if value > best[index] || (value == best[index] && owner[index] < 0) {
                        best[index] = value
                        owner[index] = Int16(segment)
                    }
                }
            }
        }
        var result: [PredictedInstance] = []
        for index in 0..<count {
            let value = Int16(index)
            let mask = try owner.withUnsafeBufferPointer { pixels throws(MaskError) in
                try RLE(rowMajor: pixels, height: height, width: width) { $0 == value }
            }
            var sum: Float = 0, patches = 0
            for (patch, label) in labels.enumerated() where label == index {
                sum += foreground[patch]
                patches += 1
            }
            result.append(PredictedInstance(id: index + 1, score: Double(sum / Float(max(1, patches))), mask: mask))
        }
        return result
    }

    /// The segment under a patch, else the segment of the nearest labelled patch; nil when
    /// there are no segments.
    static func segment(atPatch patch: Int, labels: [Int], gridWidth gw: Int) -> Int? {
        if labels[patch] >= 0 { return labels[patch] }
        let (i, j) = (patch / gw, patch % gw)
        var best: Int?, bestDistance = Int.max
        for (other, label) in labels.enumerated() where label >= 0 {
            let (di, dj) = (other / gw - i, other % gw - j)
            let distance = di * di + dj * dj
            if distance < bestDistance { bestDistance = distance; best = label }
        }
        return best
    }
}

/// A pixel centre in grid coordinates (patch centres at integers), clamped, with the two
/// patches and the weight of the second.
struct PixelToGrid {
    let low: Int, high: Int
    let weight: Float

    init(pixel: Int, scale: Double, cells: Int) {
        let position = min(max((Double(pixel) + 0.5) * scale - 0.5, 0), Double(cells - 1))
        low = Int(position)
        high = min(low + 1, cells - 1)
        weight = Float(position - Double(low))
    }
}

/// The guided-filter refinement of masks on one target image. Large images take He and
/// Sun's fast guided filter: the coefficients are fitted on a copy reduced so that the
/// radius spans about `Self.reducedRadius` pixels, upsampled, and applied to the full
/// guide. The guide's statistics are computed once, for every mask of the image.
struct MaskRefinement {
    static let reducedRadius = 12
    let image: RGBImage
    let colour: Bool
    /// The reduction factor, and the filter over the reduced image.
    let step: Int
    let filter: GuidedFilter

    init(_ image: RGBImage, radius: Int, epsilon: Float, colour: Bool) {
        self.image = image
        self.colour = colour
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
                        sums[cell] += 0.299 * r + 0.587 * g + 0.114 * b
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
                            if colour {
                                for channel in 0..<3 { value += sample(channel) * Float(pixels[pixel + channel]) * (1 / 255) }
                            } else {
                                let grey = 0.299 * Float(pixels[pixel]) + 0.587 * Float(pixels[pixel + 1]) + 0.114 * Float(pixels[pixel + 2])
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
