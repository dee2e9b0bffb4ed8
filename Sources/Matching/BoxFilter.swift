// Box means for the guided filter: the mean over a (2r+1)² window clipped to the image, as
// running sums in double precision, along the rows and then down the columns.

enum BoxFilter {
    /// The mean over the (2r+1)² window clipped to the image.
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
        var scratch = Scratch(width: width)
        values.withUnsafeBufferPointer { values in
            rows.withUnsafeMutableBufferPointer { rows in
                result.withUnsafeMutableBufferPointer { result in
                    for plane in 0..<planes {
                        rowPass(values.baseAddress! + plane * count, into: rows.baseAddress!, width: width, height: height,
                                radius: radius, scratch: &scratch)
                        columnPass(UnsafePointer(rows.baseAddress!), into: result.baseAddress! + plane * count,
                                   width: width, height: height, radius: radius, scratch: &scratch)
                    }
                }
            }
        }
    }

    /// Buffers of a filter's passes, kept across its planes.
    private struct Scratch {
        /// Eight rows transposed as two blocks of four, a pixel's four values side by side,
        /// and their means.
        var block: [Float], means: [Float]
        /// The column sums of the column pass, a multiple of eight long.
        var sums: [Double]

        init(width: Int) {
            block = [Float](repeating: 0, count: 8 * width)
            means = block
            sums = [Double](repeating: 0, count: (width + 7) / 8 * 8)
        }
    }

    /// Eight rows at a time, one per lane of a transposed copy: the running sums are eight
    /// independent chains of additions, each row's the same additions in the same order.
    private static func rowPass(_ input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, width: Int, height: Int,
                                radius: Int, scratch: inout Scratch) {
        scratch.block.withUnsafeMutableBufferPointer { block in
            scratch.means.withUnsafeMutableBufferPointer { means in
                let (block, means) = (block.baseAddress!, means.baseAddress!)
                // Rows y...y+3 in the block's first half, y+4...y+7 in its second.
                let half = 4 * width
                @inline(__always) func column(_ x: Int) -> SIMD8<Double> {
                    let source = UnsafeRawPointer(block + 4 * x)
                    return SIMD8(lowHalf: SIMD4<Double>(source.loadUnaligned(as: SIMD4<Float>.self)),
                                 highHalf: SIMD4<Double>(source.loadUnaligned(fromByteOffset: 4 * half, as: SIMD4<Float>.self)))
                }
                for y in stride(from: 0, to: height, by: 8) {
                    let rows = min(8, height - y)
                    let lines = (0..<8).map { input + (y + min($0, rows - 1)) * width }
                    Self.transpose(lines[0], lines[1], lines[2], lines[3], into: block, width: width)
                    Self.transpose(lines[4], lines[5], lines[6], lines[7], into: block + half, width: width)
                    var sum = SIMD8<Double>()
                    for x in 0..<min(width, radius) { sum += column(x) }
                    for x in 0..<width {
                        if x + radius < width { sum += column(x + radius) }
                        if x - radius - 1 >= 0 { sum -= column(x - radius - 1) }
                        let mean = Lanes(sum) / Float(min(width - 1, x + radius) - max(0, x - radius) + 1)
                        let target = UnsafeMutableRawPointer(means + 4 * x)
                        target.storeBytes(of: mean.lowHalf, as: SIMD4<Float>.self)
                        target.storeBytes(of: mean.highHalf, toByteOffset: 4 * half, as: SIMD4<Float>.self)
                    }
                    let targets = (0..<rows).map { out + (y + $0) * width }
                    Self.untranspose(means, into: Array(targets.prefix(4)), width: width)
                    if rows > 4 { Self.untranspose(means + half, into: Array(targets.dropFirst(4)), width: width) }
                }
            }
        }
    }

    /// Four rows of `width` into `block`, column by column: block[4x + k] = row k's x.
    @inline(__always)
    private static func transpose(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                                  _ d: UnsafePointer<Float>, into block: UnsafeMutablePointer<Float>, width: Int) {
        var x = 0
        while x + 4 <= width {
            @inline(__always) func load(_ row: UnsafePointer<Float>) -> SIMD4<Float> {
                UnsafeRawPointer(row + x).loadUnaligned(as: SIMD4<Float>.self)
            }
            let columns = transposed(load(a), load(b), load(c), load(d))
            let target = UnsafeMutableRawPointer(block + 4 * x)
            target.storeBytes(of: columns.0, as: SIMD4<Float>.self)
            target.storeBytes(of: columns.1, toByteOffset: 16, as: SIMD4<Float>.self)
            target.storeBytes(of: columns.2, toByteOffset: 32, as: SIMD4<Float>.self)
            target.storeBytes(of: columns.3, toByteOffset: 48, as: SIMD4<Float>.self)
            x += 4
        }
        for x in x..<width { (block[4 * x], block[4 * x + 1], block[4 * x + 2], block[4 * x + 3]) = (a[x], b[x], c[x], d[x]) }
    }

    /// The inverse of `transpose`, for the first `rows.count` (1...4) rows.
    @inline(__always)
    private static func untranspose(_ block: UnsafePointer<Float>, into rows: [UnsafeMutablePointer<Float>], width: Int) {
        var x = 0
        while x + 4 <= width {
            let source = UnsafeRawPointer(block + 4 * x)
            let lines = transposed(source.loadUnaligned(as: SIMD4<Float>.self), source.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self),
                                   source.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self),
                                   source.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self))
            for (k, row) in rows.enumerated() {
                let line = k == 0 ? lines.0 : k == 1 ? lines.1 : k == 2 ? lines.2 : lines.3
                UnsafeMutableRawPointer(row + x).storeBytes(of: line, as: SIMD4<Float>.self)
            }
            x += 4
        }
        for x in x..<width {
            for (k, row) in rows.enumerated() { row[x] = block[4 * x + k] }
        }
    }

    /// The 4 × 4 matrix of rows a, b, c, d, transposed.
    @inline(__always)
    private static func transposed(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let ab = SIMD8(lowHalf: a, highHalf: b), cd = SIMD8(lowHalf: c, highHalf: d)
        let evens = SIMD8(lowHalf: ab.evenHalf, highHalf: cd.evenHalf)  // a0 a2 b0 b2 c0 c2 d0 d2
        let odds = SIMD8(lowHalf: ab.oddHalf, highHalf: cd.oddHalf)  // a1 a3 b1 b3 c1 c3 d1 d3
        return (evens.evenHalf, odds.evenHalf, evens.oddHalf, odds.oddHalf)
    }

    /// Down the columns, eight columns per step of a row.
    private static func columnPass(_ input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, width: Int, height: Int,
                                   radius: Int, scratch: inout Scratch) {
        scratch.sums.withUnsafeMutableBufferPointer { sums in
            sums.update(repeating: 0)
            let sums = UnsafeMutableRawPointer(sums.baseAddress!)
            @inline(__always) func sum(_ x: Int) -> SIMD8<Double> { sums.loadUnaligned(fromByteOffset: 8 * x, as: SIMD8<Double>.self) }
            for y in 0..<min(height, radius) {
                let line = input + y * width
                eightAtATime(width) { x, n in
                    sums.storeBytes(of: sum(x) + SIMD8<Double>(line.lanes(x, n)), toByteOffset: 8 * x, as: SIMD8<Double>.self)
                }
            }
            for y in 0..<height {
                let entering = y + radius < height ? input + (y + radius) * width : nil
                let leaving = y - radius - 1 >= 0 ? input + (y - radius - 1) * width : nil
                let size = Float(min(height - 1, y + radius) - max(0, y - radius) + 1)
                let line = out + y * width
                eightAtATime(width) { x, n in
                    var total = sum(x)
                    if let entering { total += SIMD8<Double>(entering.lanes(x, n)) }
                    if let leaving { total -= SIMD8<Double>(leaving.lanes(x, n)) }
                    sums.storeBytes(of: total, toByteOffset: 8 * x, as: SIMD8<Double>.self)
                    line.store(Lanes(total) / size, x, n)
                }
            }
        }
    }
}
