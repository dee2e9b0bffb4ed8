// From patch segments to target instances: each segment's indicator interpolated to target
// pixels as a COCO RLE mask with a score, and every match labelled with the segment under
// its peak (or the nearest segment when the peak lies on background).
import Imaging

enum Grouping {
    /// Instances 1...count from the segments of `labels` (−1: none), in segment order: each
    /// segment's indicator interpolated bilinearly to pixels, refined on the image's edges
    /// when `refinement` is given, and a pixel given to the segment whose value reaches 0.5.
    static func instances(labels: [Int], count: Int, foreground: [Float], geometry g: InputGeometry,
                          refinement: GuidedFilter?) throws -> [PredictedInstance] {
        guard count > 0 else { return [] }
        let (width, height, gw, gh) = (g.imageWidth, g.imageHeight, g.gridWidth, g.gridHeight)
        let xs = (0..<width).map { PixelToGrid(pixel: $0, scale: g.sx, cells: gw) }
        let ys = (0..<height).map { PixelToGrid(pixel: $0, scale: g.sy, cells: gh) }
        var best = [Float](repeating: 0.5, count: width * height)
        var owner = [Int16](repeating: -1, count: width * height)
        var indicator = [Float](repeating: 0, count: gw * gh)
        var soft = [Float](repeating: 0, count: width * height)
        for segment in 0..<count {
            for patch in labels.indices { indicator[patch] = labels[patch] == segment ? 1 : 0 }
            for y in 0..<height {
                let row = ys[y]
                let top = row.low * gw, bottom = row.high * gw
                for x in 0..<width {
                    let column = xs[x]
                    let upper = indicator[top + column.low] + (indicator[top + column.high] - indicator[top + column.low]) * column.weight
                    let lower = indicator[bottom + column.low] + (indicator[bottom + column.high] - indicator[bottom + column.low]) * column.weight
                    soft[y * width + x] = upper + (lower - upper) * row.weight
                }
            }
            let values = refinement?.apply(soft) ?? soft
            for index in values.indices where values[index] >= best[index] {
                // The first segment keeps a tie at exactly 0.5 only if none is higher.
                if values[index] > best[index] || owner[index] < 0 {
                    best[index] = values[index]
                    owner[index] = Int16(segment)
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
