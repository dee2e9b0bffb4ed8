// The two operations every transformer block of the engine runs through its workers: a
// LayerNorm over rows (into float32 or straight into a bf16 operand), and, for the decoder,
// one worker's share of a Linear layer's output columns on OpenBLAS.

extension DINOv2.LayerNorm {
    /// y = LayerNorm(x) over `rows` rows of the norm's width (y may be x).
    func apply(_ x: UnsafePointer<Float>, rows: Int, eps: Float, into y: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { weight in
            bias.withUnsafeBufferPointer { bias in
                Kernels.layerNorm(x, rows: rows, columns: weight.count, weight: weight.baseAddress!,
                                  bias: bias.baseAddress!, eps: eps, into: y)
            }
        }
    }

    /// The same into `type` (f32 or bf16): a bf16 row is normalised in float32, then rounded.
    func apply(_ x: UnsafePointer<Float>, rows: Int, eps: Float, into y: UnsafeMutableRawPointer, as type: Matmul.DataType) {
        if type != .bf16 {
            return apply(x, rows: rows, eps: eps, into: y.assumingMemoryBound(to: Float.self))
        }
        let columns = weight.count
        let narrow = y.assumingMemoryBound(to: UInt16.self)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: columns) { row in
            for r in 0..<rows {
                apply(x + r * columns, rows: 1, eps: eps, into: row.baseAddress!)
                Quantize.bfloat16(row.baseAddress!, count: columns, into: narrow + r * columns)
            }
        }
    }
}

extension DINOv2.Linear {
    /// The worker's share of y (+)= x · W[features]ᵀ + b[features], y [rows, features.count]:
    /// output columns in multiples of 16 (a vector register of the widest kernels), so that
    /// each worker packs only its share of the weights (packing whole weight matrices per
    /// worker would cost more than the products at small inputs); returns the columns of y
    /// it wrote.
    @discardableResult
    func apply(features: Range<Int>? = nil, to x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
               accumulate: Bool, share worker: Int, of workers: Int) -> Range<Int> {
        let features = features ?? 0..<outFeatures
        let out = features.count
        let units = Parallel.share(of: (out + 15) / 16, worker: worker, workers: workers)
        let columns = min(units.lowerBound * 16, out)..<min(units.upperBound * 16, out)
        if columns.isEmpty { return columns }
        let first = features.lowerBound + columns.lowerBound
        weight.withUnsafeBufferPointer { weight in
            bias.withUnsafeBufferPointer { bias in
                GEMM.linear(x, rows: rows, inFeatures: inFeatures,
                            weight: weight.baseAddress! + first * inFeatures,
                            bias: bias.baseAddress! + first, outFeatures: columns.count,
                            into: y + columns.lowerBound, ldy: out, accumulate: accumulate)
            }
        }
        return columns
    }
}
