// Intersection over union and union/intersection of masks, walking the runs of both masks
// at once as pycocotools' rleIou and rleMerge do (no decoding).

extension RLE {
    /// pycocotools `iou(a, b, [0])` (not crowd): |a ∩ b| / |a ∪ b|, 0 when the bounding
    /// boxes do not overlap or the masks do not intersect.
    public static func iou(_ a: RLE, _ b: RLE) throws(MaskError) -> Double {
        guard a.size == b.size else { throw .sizeMismatch(expected: a.size, found: b.size) }
        // pycocotools screens with the boxes first; keeping that keeps its results exact
        // (e.g. a box computed from a wrapped run).
        guard BoundingBox.iou(a.bbox, b.bbox) > 0 else { return 0 }
        guard !a.counts.isEmpty, !b.counts.isEmpty else { return 0 }
        let (intersection, union) = a.counts.withUnsafeBufferPointer { ra in
            b.counts.withUnsafeBufferPointer { rb in overlap(ra, rb) }
        }
        return intersection == 0 ? 0 : Double(intersection) / Double(union)
    }

    /// Number of pixels in both masks and in either.
    private static func overlap(_ ra: UnsafeBufferPointer<UInt32>, _ rb: UnsafeBufferPointer<UInt32>)
        -> (intersection: UInt64, union: UInt64)
    {
        var walk = RunPairWalk(ra, rb)
        var intersection: UInt64 = 0, union: UInt64 = 0
        var more = true
        while more {
            let span = walk.step()
            if span.a || span.b {
                union += UInt64(span.length)
                if span.a && span.b { intersection += UInt64(span.length) }
            }
            more = span.more
        }
        return (intersection, union)
    }

    /// pycocotools `merge(rles, intersect)`: the union (or intersection) of masks of one
    /// size. An empty list gives a 0 x 0 mask, as there.
    ///
    /// Merged pairwise as a tree rather than one after another: the result is the same
    /// (both are the canonical runs of one mask), but n masks cost O(runs · log n), not
    /// O(runs · n).
    public static func merge(_ masks: [RLE], intersect: Bool = false) throws(MaskError) -> RLE {
        guard let first = masks.first else { return RLE(trusted: [], size: MaskSize(height: 0, width: 0)) }
        for mask in masks where mask.size != first.size {
            throw .sizeMismatch(expected: first.size, found: mask.size)
        }
        var level = masks.map(\.counts)
        while level.count > 1 {
            var next = [[UInt32]]()
            next.reserveCapacity((level.count + 1) / 2)
            var index = 0
            while index + 1 < level.count {
                next.append(merge(level[index], level[index + 1], intersect: intersect))
                index += 2
            }
            if index < level.count { next.append(level[index]) }
            level = next
        }
        return RLE(trusted: level[0], size: first.size)
    }

    private static func merge(_ ra: [UInt32], _ rb: [UInt32], intersect: Bool) -> [UInt32] {
        guard !ra.isEmpty, !rb.isEmpty else { return ra.isEmpty ? rb : ra }
        var result = [UInt32]()
        result.reserveCapacity(ra.count + rb.count)
        ra.withUnsafeBufferPointer { ra in
            rb.withUnsafeBufferPointer { rb in
                var walk = RunPairWalk(ra, rb)
                var v = false
                var run: UInt32 = 0
                var more = true
                while more {
                    let span = walk.step()
                    run &+= span.length
                    more = span.more
                    let previous = v
                    v = intersect ? (walk.a && walk.b) : (walk.a || walk.b)
                    if v != previous || !more {
                        result.append(run)
                        run = 0
                    }
                }
            }
        }
        return result
    }
}

/// Two non-empty run lists of one mask size walked together, one span at a time: a span is
/// the longest stretch over which neither mask changes value.
private struct RunPairWalk {
    private let ra: UnsafeBufferPointer<UInt32>, rb: UnsafeBufferPointer<UInt32>
    private var ca: UInt32, cb: UInt32
    private var ia = 1, ib = 1
    /// Each mask's value over the next span.
    private(set) var a = false, b = false

    init(_ ra: UnsafeBufferPointer<UInt32>, _ rb: UnsafeBufferPointer<UInt32>) {
        self.ra = ra
        self.rb = rb
        ca = ra[0]
        cb = rb[0]
    }

    /// The next span (possibly empty where a list starts with a 0 count), the masks' values
    /// over it, and whether pixels remain after it.
    mutating func step() -> (length: UInt32, a: Bool, b: Bool, more: Bool) {
        let length = min(ca, cb)
        let values = (a, b)
        ca -= length
        if ca == 0 && ia < ra.count { ca = ra[ia]; ia += 1; a.toggle() }
        cb -= length
        if cb == 0 && ib < rb.count { cb = rb[ib]; ib += 1; b.toggle() }
        return (length, values.0, values.1, ca != 0 || cb != 0)
    }
}
