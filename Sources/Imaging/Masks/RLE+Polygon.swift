// Polygon rasterisation exactly as pycocotools' frPyObjects (rleFrPoly, then merge): the
// boundary is walked on a 5x finer integer grid and a pixel is inside when its centre lies
// below a boundary crossing of its column.

extension RLE {
    /// Polygon coordinates must lie within ±`maxPolygonCoordinate` pixels: pycocotools
    /// converts them to 32-bit ints on a 5x grid, so larger values are undefined there.
    public static let maxPolygonCoordinate = 10_000_000.0
    /// Steps of the boundary walk, all polygons together (about 5 per pixel of perimeter):
    /// bounds the time a hostile polygon can take.
    public static let maxPolygonSteps = 1 << 26

    /// COCO polygons `[[x1, y1, x2, y2, ...], ...]` in pixel coordinates (the origin at the
    /// top-left corner of the top-left pixel), rasterised and united as pycocotools does.
    ///
    /// Stricter than pycocotools on input it misreads: a polygon needs at least 3 points
    /// and an even number of finite values (pycocotools drops an odd last value, and reads
    /// a list whose first polygon has 4 values as boxes).
    public init(polygons: [[Double]], height: Int, width: Int) throws(MaskError) {
        let size = try RLE.checkedSize(height: height, width: width)
        guard !polygons.isEmpty else { throw .invalidPolygon(index: 0, reason: "the list holds no polygon") }
        var steps = 0
        for (index, polygon) in polygons.enumerated() {
            try RLE.validate(polygon, index: index)
            steps += RLE.boundarySteps(polygon)
            guard steps <= RLE.maxPolygonSteps else {
                throw .polygonTooLarge(steps: steps, limit: RLE.maxPolygonSteps)
            }
        }
        // An image without pixels has one mask: pycocotools' arithmetic wraps there.
        guard size.pixelCount > 0 else {
            self = RLE(trusted: [0], size: size)
            return
        }
        let masks = polygons.map { RLE(trusted: RLE.rasterise($0, size: size), size: size) }
        self = try RLE.merge(masks)
    }

    /// Checks one polygon as the initialiser does, without rasterising it.
    public static func validate(_ polygon: [Double], index: Int) throws(MaskError) {
        guard polygon.count >= 6 else {
            throw .invalidPolygon(index: index, reason: "it has \(polygon.count) values; at least 3 points (6 values) are needed")
        }
        guard polygon.count % 2 == 0 else {
            throw .invalidPolygon(index: index, reason: "it has an odd number of values (\(polygon.count)): x and y alternate")
        }
        for value in polygon where !(value.isFinite && abs(value) <= maxPolygonCoordinate) {
            throw .invalidPolygon(index: index, reason: "coordinate \(value) is not finite or beyond ±\(Int(maxPolygonCoordinate))")
        }
    }

    /// The grid vertices: C's `(int)(5 * v + .5)`, truncating toward zero.
    private static func gridVertices(_ polygon: [Double]) -> (x: [Int], y: [Int]) {
        let k = polygon.count / 2
        var x = [Int](repeating: 0, count: k + 1), y = [Int](repeating: 0, count: k + 1)
        for j in 0..<k {
            x[j] = cInt(5 * polygon[2 * j] + 0.5)
            y[j] = cInt(5 * polygon[2 * j + 1] + 0.5)
        }
        x[k] = x[0]
        y[k] = y[0]
        return (x, y)
    }

    static func boundarySteps(_ polygon: [Double]) -> Int {
        let (x, y) = gridVertices(polygon)
        var steps = 0
        for j in 0..<(x.count - 1) { steps += max(abs(x[j] - x[j + 1]), abs(y[j] - y[j + 1])) + 1 }
        return steps
    }

    /// rleFrPoly, streaming the dense boundary instead of storing it.
    static func rasterise(_ polygon: [Double], size: MaskSize) -> [UInt32] {
        let (x, y) = gridVertices(polygon)
        let h = size.height, w = size.width
        let scale = 5.0
        let lastColumn = Double(w - 1)  // w >= 1 here
        var starts = [UInt32]()
        var previous: (u: Int, v: Int)? = nil

        func visit(_ u: Int, _ v: Int) {
            defer { previous = (u, v) }
            guard let (pu, pv) = previous, u != pu else { return }
            var xd = Double(u < pu ? u : u - 1)
            xd = (xd + 0.5) / scale - 0.5
            if xd.rounded(.down) != xd || xd < 0 || xd > lastColumn { return }
            var yd = Double(v < pv ? v : pv)
            yd = (yd + 0.5) / scale - 0.5
            if yd < 0 { yd = 0 } else if yd > Double(h) { yd = Double(h) }
            yd = yd.rounded(.up)
            starts.append(UInt32(truncatingIfNeeded: Int(xd) * h + Int(yd)))
        }

        for j in 0..<(x.count - 1) {
            var xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1]
            let dx = abs(xe - xs), dy = abs(ys - ye)
            let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye)
            if flip { swap(&xs, &xe); swap(&ys, &ye) }
            // 0/0 is NaN in C too; the NaN point never sits next to a column change.
            let s = dx >= dy ? Double(ye - ys) / Double(dx) : Double(xe - xs) / Double(dy)
            if dx >= dy {
                for d in 0...dx {
                    let t = flip ? dx - d : d
                    visit(t + xs, cInt(Double(ys) + s * Double(t) + 0.5))
                }
            } else {
                for d in 0...dy {
                    let t = flip ? dy - d : d
                    visit(cInt(Double(xs) + s * Double(t) + 0.5), t + ys)
                }
            }
        }

        starts.append(UInt32(truncatingIfNeeded: h * w))
        starts.sort()
        var differences = starts
        var last: UInt32 = 0
        for j in differences.indices {
            let value = differences[j]
            differences[j] = value &- last
            last = value
        }
        // Zero-length runs cancel: drop the empty run and join its neighbours.
        var counts = [differences[0]]
        var j = 1
        while j < differences.count {
            if differences[j] > 0 {
                counts.append(differences[j])
                j += 1
            } else {
                j += 1
                if j < differences.count {
                    counts[counts.count - 1] &+= differences[j]
                    j += 1
                }
            }
        }
        return counts
    }
}

/// C's `(int)value` on x86-64: truncation toward zero, and INT_MIN (the "integer
/// indefinite" value of cvttsd2si) for NaN or anything out of range.
@inline(__always)
func cInt(_ value: Double) -> Int {
    guard value > -2_147_483_649.0, value < 2_147_483_648.0 else { return Int(Int32.min) }
    return Int(value.rounded(.towardZero))
}
