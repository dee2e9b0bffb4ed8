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
        let reach = refinement?.radius ?? 0
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
/// Sun's fast guided filter: the linear model's coefficients are fitted on a copy reduced so
/// that the radius spans about `Self.reducedRadius` pixels, upsampled, and applied to the
/// full-resolution guide, so the cost stays that of a small image.
struct MaskRefinement {
    static let reducedRadius = 16
    let image: RGBImage
    let radius: Int
    let epsilon: Float
    let colour: Bool
    /// The reduction factor.
    let step: Int

    init(_ image: RGBImage, radius: Int, epsilon: Float, colour: Bool) {
        self.image = image
        self.radius = radius
        self.epsilon = epsilon
        self.colour = colour
        step = max(1, radius / Self.reducedRadius)
    }

    func apply(_ values: [Float], x0: Int, y0: Int, width: Int, height: Int) -> [Float] {
        let channels = colour ? 3 : 1
        // The window's guide at full resolution (0...1), grey or colour.
        var guide = [Float](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            for x in 0..<width {
                let source = ((y0 + y) * image.width + x0 + x) * 3
                let (r, g, b) = (Float(image.pixels[source]), Float(image.pixels[source + 1]), Float(image.pixels[source + 2]))
                if colour {
                    guide[(y * width + x) * 3] = r / 255
                    guide[(y * width + x) * 3 + 1] = g / 255
                    guide[(y * width + x) * 3 + 2] = b / 255
                } else {
                    guide[y * width + x] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
                }
            }
        }
        let (smallWidth, smallHeight) = ((width + step - 1) / step, (height + step - 1) / step)
        let smallGuide = Self.reduce(guide, width: width, height: height, channels: channels, step: step)
        let smallValues = Self.reduce(values, width: width, height: height, channels: 1, step: step)
        let smallRadius = max(1, radius / step)
        let (a, b) = colour
            ? ColourGuidedFilter(rgb: smallGuide, width: smallWidth, height: smallHeight, radius: smallRadius, epsilon: epsilon)
                .coefficients(smallValues)
            : GuidedFilter(grey: smallGuide, width: smallWidth, height: smallHeight, radius: smallRadius, epsilon: epsilon)
                .coefficients(smallValues)
        // Coefficients back to full resolution (bilinear), applied to the full guide.
        let xs = (0..<width).map { PixelToGrid(pixel: $0, scale: 1 / Double(step), cells: smallWidth) }
        var output = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let row = PixelToGrid(pixel: y, scale: 1 / Double(step), cells: smallHeight)
            for x in 0..<width {
                let column = xs[x]
                func sample(_ plane: [Float]) -> Float {
                    let top = plane[row.low * smallWidth + column.low] * (1 - column.weight)
                        + plane[row.low * smallWidth + column.high] * column.weight
                    let bottom = plane[row.high * smallWidth + column.low] * (1 - column.weight)
                        + plane[row.high * smallWidth + column.high] * column.weight
                    return top + (bottom - top) * row.weight
                }
                var value = sample(b)
                for channel in 0..<channels { value += sample(a[channel]) * guide[(y * width + x) * channels + channel] }
                output[y * width + x] = value
            }
        }
        return output
    }

    /// Block means of `step` × `step` pixels (partial blocks at the edges), per channel.
    static func reduce(_ values: [Float], width: Int, height: Int, channels: Int, step: Int) -> [Float] {
        guard step > 1 else { return values }
        let (smallWidth, smallHeight) = ((width + step - 1) / step, (height + step - 1) / step)
        var sums = [Float](repeating: 0, count: smallWidth * smallHeight * channels)
        var counts = [Float](repeating: 0, count: smallWidth * smallHeight)
        for y in 0..<height {
            for x in 0..<width {
                let cell = (y / step) * smallWidth + x / step
                counts[cell] += 1
                for channel in 0..<channels { sums[cell * channels + channel] += values[(y * width + x) * channels + channel] }
            }
        }
        for cell in 0..<(smallWidth * smallHeight) {
            for channel in 0..<channels { sums[cell * channels + channel] /= counts[cell] }
        }
        return sums
    }
}
