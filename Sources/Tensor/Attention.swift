// Multi-head scaled dot-product attention from strided Q, K and V buffers (a fused
// [tokens, 3·width] QKV buffer for self-attention, separate ones for cross-attention), its two
// products on oneDNN in fp32 or bf16. Q, K and V are first copied head by head into dense
// [rows, head width] blocks, and each head's output is written dense and then copied into its
// columns: oneDNN's brgemm kernels take dense operands and destinations only (strided ones
// fall back to its slower gemm:jit, ~1.5x the time of P·V). Work items are (head, band of query rows): the band's
// scores stay in the worker's cache through both products and the softmax (oneDNN's), which
// writes the probabilities in the second product's operand type.

enum Attention {
    /// At most this many query rows per work item: a band's scores (rows × tokens) then fit
    /// a 1 MB L2 up to about 1000 tokens (448 pixels).
    static let bandRows = 256

    /// Element types: Q, K and V's (f32 or bf16; also the probabilities'), and the output's.
    struct Types: Sendable {
        let operands: Matmul.DataType
        let output: Matmul.DataType
        static let fp32 = Types(operands: .f32, output: .f32)
    }

    /// Bytes of scratch `workers` workers need for `queries` rows attending over `keys` rows
    /// of `width` features: the dense copies of Q, K and V, then each worker's band.
    static func scratchBytes(queries: Int, keys: Int, width: Int, workers: Int) -> Int {
        packedBytes(queries: queries, keys: keys, width: width) + workers * bandBytes(queries: queries, keys: keys, width: width)
    }

    private static func packedBytes(queries: Int, keys: Int, width: Int) -> Int {
        ((queries + 2 * keys) * width * 4 + 63) / 64 * 64
    }

    /// A band's scores (float32), their bf16 probabilities and its output.
    private static func bandBytes(queries: Int, keys: Int, width: Int) -> Int {
        let rows = min(bandRows, queries)
        return aligned(rows * keys * 4) + aligned(rows * keys * 2) + aligned(rows * width * 4)
    }

    private static func aligned(_ bytes: Int) -> Int { (bytes + 63) / 64 * 64 }

    /// Self-attention: out[tokens×width] = concat over heads of softmax(Q_h K_hᵀ / √d) V_h,
    /// Q, K and V side by side in each row of `qkv`.
    static func run(qkv: UnsafeRawPointer, tokens: Int, width: Int, heads: Int, types: Types,
                    workers: [OneDNN.Worker], scratch: UnsafeMutableRawPointer,
                    into out: UnsafeMutableRawPointer) throws(ModelError) {
        let bytes = types.operands.bytes
        try run(query: qkv, queryStride: 3 * width, queries: tokens,
                key: qkv + width * bytes, value: qkv + 2 * width * bytes, keyValueStride: 3 * width, keys: tokens,
                width: width, heads: heads, types: types, workers: workers, scratch: scratch, into: out)
    }

    /// out[queries×width] = concat over heads of softmax(Q_h K_hᵀ / √d) V_h, where row i of Q
    /// starts at query + i·queryStride elements and row j of K (V) at key (value) + j·keyValueStride.
    static func run(
        query: UnsafeRawPointer, queryStride: Int, queries: Int,
        key: UnsafeRawPointer, value: UnsafeRawPointer, keyValueStride: Int, keys: Int,
        width: Int, heads: Int, types: Types, workers requested: [OneDNN.Worker],
        scratch: UnsafeMutableRawPointer, into out: UnsafeMutableRawPointer
    ) throws(ModelError) {
        let bands = (queries + bandRows - 1) / bandRows
        let items = heads * bands
        let workers = Array(requested.prefix(max(1, min(requested.count, items))))
        let headWidth = width / heads
        let bytes = types.operands.bytes
        // Head h's rows of Q (K, V) at packed + h·queries·headWidth (keys·headWidth) elements.
        let packedQuery = scratch
        let packedKey = packedQuery + queries * width * bytes
        let packedValue = packedKey + keys * width * bytes
        let packing = Packing(query: query, key: key, value: value, queryStride: queryStride,
                              keyValueStride: keyValueStride, queries: queries, keys: keys, heads: heads,
                              headWidth: headWidth, bytes: bytes, into: (packedQuery, packedKey, packedValue))
        Parallel.run(workers: requested.count) { worker in packing.copy(worker: worker, of: requested.count) }
        // A band has one of two row counts: its products are made before the workers start.
        var scores: [Int: MatmulPrimitive] = [:], context: [Int: MatmulPrimitive] = [:]
        var softmax: [Int: SoftmaxPrimitive] = [:]
        for band in Set([0, bands - 1]) {
            let rows = Parallel.share(of: queries, worker: band, workers: bands).count
            scores[rows] = try Matmul(
                m: rows, n: keys, k: headWidth, source: types.operands, sourceStride: headWidth,
                weightsType: types.operands, weights: .strided(kStride: 1, nStride: headWidth),
                destination: .f32, destinationStride: keys, scale: .common(1 / Float(headWidth).squareRoot())).primitive()
            softmax[rows] = try SoftmaxPrimitive.cached(rows: rows, columns: keys, output: types.operands)
            context[rows] = try Matmul(
                m: rows, n: headWidth, k: keys, source: types.operands, sourceStride: keys,
                weightsType: types.operands, weights: .strided(kStride: headWidth, nStride: 1),
                destination: types.output, destinationStride: headWidth).primitive()
        }
        let plan = Plan(query: UnsafeRawPointer(packedQuery), key: UnsafeRawPointer(packedKey),
                        value: UnsafeRawPointer(packedValue),
                        scratch: scratch + packedBytes(queries: queries, keys: keys, width: width), out: out, types: types,
                        scores: scores, softmax: softmax, context: context, queries: queries, keys: keys, width: width,
                        headWidth: headWidth, bands: bands, scratchBytes: bandBytes(queries: queries, keys: keys, width: width))
        Parallel.run(workers: workers.count) { worker in
            for item in stride(from: worker, to: items, by: workers.count) {
                plan.band(item % bands, head: item / bands, worker: worker, on: workers[worker])
            }
        }
    }

    /// Q, K and V copied into head-major dense blocks, each worker its share of the rows:
    /// head h's row i of an operand of n rows at packed + (h·n + i)·headWidth elements.
    private struct Packing: @unchecked Sendable {
        let query, key, value: UnsafeRawPointer
        let queryStride: Int, keyValueStride: Int, queries: Int, keys: Int, heads: Int, headWidth: Int, bytes: Int
        let into: (query: UnsafeMutableRawPointer, key: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer)

        func copy(worker: Int, of workers: Int) {
            let queryRows = Parallel.share(of: queries, worker: worker, workers: workers)
            let keyRows = Parallel.share(of: keys, worker: worker, workers: workers)
            copy(query, stride: queryStride, rows: queryRows, of: queries, into: into.query)
            copy(key, stride: keyValueStride, rows: keyRows, of: keys, into: into.key)
            copy(value, stride: keyValueStride, rows: keyRows, of: keys, into: into.value)
        }

        private func copy(_ source: UnsafeRawPointer, stride: Int, rows: Range<Int>, of total: Int,
                          into packed: UnsafeMutableRawPointer) {
            let rowBytes = headWidth * bytes
            for head in 0..<heads {
                let target = packed + head * total * rowBytes
                let from = source + head * rowBytes
                for row in rows {
                    (target + row * rowBytes).copyMemory(from: from + row * stride * bytes, byteCount: rowBytes)
                }
            }
        }
    }

    /// The buffers handed to the workers: each writes its own items' rows of its heads'
    /// columns of `out`, and its own scratch, so no two threads touch the same memory.
    private struct Plan: @unchecked Sendable {
        let query, key, value: UnsafeRawPointer
        let scratch: UnsafeMutableRawPointer
        let out: UnsafeMutableRawPointer
        let types: Types
        let scores: [Int: MatmulPrimitive]
        let softmax: [Int: SoftmaxPrimitive]
        let context: [Int: MatmulPrimitive]
        let queries: Int, keys: Int, width: Int, headWidth: Int, bands: Int, scratchBytes: Int

        func band(_ band: Int, head: Int, worker index: Int, on worker: OneDNN.Worker) {
            let rows = Parallel.share(of: queries, worker: band, workers: bands)
            let (operand, output) = (types.operands.bytes, types.output.bytes)
            let q = query + (head * queries + rows.lowerBound) * headWidth * operand
            let k = key + head * keys * headWidth * operand
            let v = value + head * keys * headWidth * operand
            // The band's scratch: its scores (float32), their probabilities as bf16 (float32
            // ones overwrite the scores), its output.
            let logits = scratch + index * scratchBytes
            let narrow = logits + Attention.aligned(rows.count * keys * 4)
            let dense = narrow + Attention.aligned(rows.count * keys * 2)
            scores[rows.count]!.run(source: q, weights: k, bias: nil, destination: logits,
                                    stream: worker.stream, scratchpad: worker.scratchpad)
            let probabilities = types.operands == .bf16 ? narrow : logits
            softmax[rows.count]!.run(logits, into: probabilities, stream: worker.stream)
            context[rows.count]!.run(source: probabilities, weights: v, bias: nil, destination: dense,
                                     stream: worker.stream, scratchpad: worker.scratchpad)
            let target = out + (rows.lowerBound * width + head * headWidth) * output
            for row in 0..<rows.count {
                (target + row * width * output).copyMemory(from: dense + row * headWidth * output,
                                                           byteCount: headWidth * output)
            }
        }
    }
}
