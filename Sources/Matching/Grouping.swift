// From patch segments to target instances: each segment's indicator interpolated to target
// pixels as a COCO RLE mask with a score, and every match labelled with the segment under
// its peak (or the nearest segment when the peak lies on background).
import Imaging

enum Grouping {
    /// Instances 1...count from the segments of `labels` (−1: none), in segment order.
    static func instances(labels: [Int], count: Int, foreground: [Float], geometry g: InputGeometry) throws -> [PredictedInstance] {
        guard count > 0 else { return [] }
        let (width, height, gw, gh) = (g.imageWidth, g.imageHeight, g.gridWidth, g.gridHeight)
        // Per pixel, the segment whose bilinearly interpolated indicator reaches 0.5.
        var owner = [Int16](repeating: -1, count: width * height)
        let xs = (0..<width).map { PixelToGrid(pixel: $0, scale: g.sx, cells: gw) }
        var weights = [Float](repeating: 0, count: count)
        for y in 0..<height {
            let row = PixelToGrid(pixel: y, scale: g.sy, cells: gh)
            for x in 0..<width {
                let column = xs[x]
                for index in 0..<count { weights[index] = 0 }
                var any = false
                for (i, wy) in [(row.low, 1 - row.weight), (row.high, row.weight)] where wy > 0 {
                    for (j, wx) in [(column.low, 1 - column.weight), (column.high, column.weight)] where wx > 0 {
                        let label = labels[i * gw + j]
                        if label >= 0 { weights[label] += wx * wy; any = true }
                    }
                }
                guard any else { continue }
                for index in 0..<count where weights[index] >= 0.5 {
                    owner[y * width + x] = Int16(index)
                    break
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
