// From patch segments to target instances: each segment's indicator interpolated to target
// pixels as a COCO RLE mask with a score, and every match labelled with the segment under
// its peak (or the nearest segment when the peak lies on background).
import Foundation
import Imaging

enum Grouping {
    /// Instances 1...count from the segments of `labels` (−1: none), in segment order: each
    /// segment's indicator interpolated bilinearly to pixels, refined on the image's edges
    /// when `refinement` is given, and a pixel given to the segment whose value reaches 0.5.
    /// Each segment is painted only inside its box, widened by a patch and the filter's reach;
    /// segments are painted concurrently, one per core, then laid down in order (one at a
    /// time above `concurrentPixels`, so that a huge image never has several windows alive).
    static func instances(labels: [Int], count: Int, foreground: [Float], geometry g: InputGeometry,
                          refinement: MaskRefinement?) throws -> [PredictedInstance] {
        guard count > 0 else { return [] }
        let (width, height) = (g.imageWidth, g.imageHeight)
        var best = [Float](repeating: 0.5, count: width * height)
        // Per pixel, its segment + 1 (0: none), as an instance-id image.
        var owner = [UInt16](repeating: 0, count: width * height)
        let batch = width * height <= concurrentPixels ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
        for first in stride(from: 0, to: count, by: batch) {
            let segments = first..<min(count, first + batch)
            let painted = Painted(count: segments.count)
            DispatchQueue.concurrentPerform(iterations: segments.count) { slot in
                painted.set(slot, paint(first + slot, labels: labels, geometry: g, refinement: refinement))
            }
            for (slot, window) in painted.windows.enumerated() {
                guard let window else { continue }
                let segment = first + slot
                for y in 0..<window.height {
                    for x in 0..<window.width {
                        let value = window.values[y * window.width + x], index = (window.y0 + y) * width + window.x0 + x
                        // Ties at exactly 0.5 go to the first segment that reaches them.
                        if value > best[index] || (value == best[index] && owner[index] == 0) {
                            best[index] = value
                            owner[index] = UInt16(segment + 1)
                        }
                    }
                }
            }
        }
        var masks: [Int: RLE] = [:]
        for instance in InstanceIDImage.masks(ids: owner, width: width, height: height) { masks[instance.id] = instance.mask }
        var result: [PredictedInstance] = []
        for index in 0..<count {
            // A segment that every pixel went elsewhere keeps an empty mask.
            let mask = try masks[index + 1] ?? RLE.empty(height: height, width: width)
            var sum: Float = 0, patches = 0
            for (patch, label) in labels.enumerated() where label == index {
                sum += foreground[patch]
                patches += 1
            }
            result.append(PredictedInstance(id: index + 1, score: Double(sum / Float(max(1, patches))), mask: mask))
        }
        return result
    }

    /// Images up to this many pixels paint several segments at once.
    static let concurrentPixels = 4_000_000

    /// One segment's refined indicator over its window of the image.
    struct Window: Sendable {
        let x0: Int, y0: Int, width: Int, height: Int
        let values: [Float]
    }

    /// Windows filled concurrently, one slot per segment.
    final class Painted: @unchecked Sendable {
        private(set) var windows: [Window?]
        private let lock = NSLock()
        init(count: Int) { windows = Array(repeating: nil, count: count) }
        func set(_ slot: Int, _ window: Window?) {
            lock.lock()
            windows[slot] = window
            lock.unlock()
        }
    }

    /// The segment's indicator, interpolated to pixels inside its box (widened by a patch
    /// and the filter's reach) and refined; nil for an empty segment.
    static func paint(_ segment: Int, labels: [Int], geometry g: InputGeometry, refinement: MaskRefinement?) -> Window? {
        let (width, height, gw, gh) = (g.imageWidth, g.imageHeight, g.gridWidth, g.gridHeight)
        var indicator = [Float](repeating: 0, count: gw * gh)
        var (i0, i1, j0, j1) = (gh, -1, gw, -1)
        for patch in labels.indices where labels[patch] == segment {
            indicator[patch] = 1
            let (i, j) = (patch / gw, patch % gw)
            (i0, i1, j0, j1) = (min(i0, i), max(i1, i), min(j0, j), max(j1, j))
        }
        guard i1 >= 0 else { return nil }
        let reach = refinement.map { $0.filter.radius * $0.step } ?? 0
        let x0 = max(0, Int(Double(j0 - 1) / g.sx) - reach), x1 = min(width, Int((Double(j1 + 2) / g.sx).rounded(.up)) + reach)
        let y0 = max(0, Int(Double(i0 - 1) / g.sy) - reach), y1 = min(height, Int((Double(i1 + 2) / g.sy).rounded(.up)) + reach)
        let (windowWidth, windowHeight) = (x1 - x0, y1 - y0)
        let xs = (x0..<x1).map { PixelToGrid(pixel: $0, scale: g.sx, cells: gw) }
        var soft = [Float](repeating: 0, count: windowWidth * windowHeight)
        for y in y0..<y1 {
            let row = PixelToGrid(pixel: y, scale: g.sy, cells: gh)
            let top = row.low * gw, bottom = row.high * gw
            for x in x0..<x1 {
                let column = xs[x - x0]
                let upper = indicator[top + column.low] + (indicator[top + column.high] - indicator[top + column.low]) * column.weight
                let lower = indicator[bottom + column.low] + (indicator[bottom + column.high] - indicator[bottom + column.low]) * column.weight
                soft[(y - y0) * windowWidth + (x - x0)] = upper + (lower - upper) * row.weight
            }
        }
        let values = refinement?.apply(soft, x0: x0, y0: y0, width: windowWidth, height: windowHeight) ?? soft
        return Window(x0: x0, y0: y0, width: windowWidth, height: windowHeight, values: values)
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
