// The tight box around a mask's foreground, computed from the runs as pycocotools'
// rleToBbox does (no decoding).

/// A box `[x, y, width, height]` in pixels, COCO order.
public struct BoundingBox: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// `[x, y, w, h]`, the layout of COCO's `bbox` field.
    public var array: [Double] { [x, y, width, height] }

    /// Box overlap as pycocotools' bbIou for non-crowd boxes: 0 when they do not overlap.
    static func iou(_ a: BoundingBox, _ b: BoundingBox) -> Double {
        let w = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
        if w <= 0 { return 0 }
        let h = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
        if h <= 0 { return 0 }
        let intersection = w * h
        return intersection / (a.width * a.height + b.width * b.height - intersection)
    }
}

extension RLE {
    /// pycocotools `toBbox`: all zero for an empty mask; a run that wraps into the next
    /// column widens the box to the full height.
    public var bbox: BoundingBox {
        let h = UInt32(height)
        let pairs = (counts.count / 2) * 2
        guard pairs > 0, h > 0 else { return BoundingBox(x: 0, y: 0, width: 0, height: 0) }
        var xs = UInt32(width), ys = h, xe: UInt32 = 0, ye: UInt32 = 0
        var end: UInt32 = 0
        for index in 0..<pairs {
            let start = end
            end &+= counts[index]
            if index % 2 == 0 || counts[index] == 0 { continue }
            let yStart = start % h, xStart = (start - yStart) / h
            let yEnd = (end - 1) % h, xEnd = (end - 1 - yEnd) / h
            xs = min(xs, xStart)
            xe = max(xe, xEnd)
            if xStart < xEnd {
                ys = 0
                ye = h - 1
            } else {
                ys = min(ys, yStart)
                ye = max(ye, yEnd)
            }
        }
        // Wrapping arithmetic as in C's unsigned ints: a mask whose only foreground runs are
        // empty keeps xs = w, xe = 0 and so on, like pycocotools.
        return BoundingBox(x: Double(xs), y: Double(ys),
                           width: Double(xe &- xs &+ 1), height: Double(ye &- ys &+ 1))
    }
}
