// Multi-head scaled dot-product attention read in place from strided Q, K and V buffers (a
// fused [tokens, 3·width] QKV buffer for self-attention, separate ones for cross-attention),
// its two products on oneDNN in fp32 or bf16. Work items are (head, band of query rows): the
// band's scores stay in the worker's cache through both products and the softmax, which
// writes the normalised probabilities in the second product's operand type.

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

    /// Bytes of scratch one worker needs for `queries` rows attending over `keys` rows.
    static func scratchBytes(queries: Int, keys: Int) -> Int {
        let rows = min(bandRows, queries)
        return rows * keys * (4 + 2) + rows * 4 + 64
    }

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
        // A band has one of two row counts: its products are made before the workers start.
        var scores: [Int: MatmulPrimitive] = [:], context: [Int: MatmulPrimitive] = [:]
        for band in Set([0, bands - 1]) {
            let rows = Parallel.share(of: queries, worker: band, workers: bands).count
            scores[rows] = try Matmul(
                m: rows, n: keys, k: headWidth, source: types.operands, sourceStride: queryStride,
                weightsType: types.operands, weights: .strided(kStride: 1, nStride: keyValueStride),
                destination: .f32, destinationStride: keys, scale: .common(1 / Float(headWidth).squareRoot())).primitive()
            context[rows] = try Matmul(
                m: rows, n: headWidth, k: keys, source: types.operands, sourceStride: keys,
                weightsType: types.operands, weights: .strided(kStride: keyValueStride, nStride: 1),
                destination: types.output, destinationStride: width).primitive()
        }
        let plan = Plan(query: query, key: key, value: value, scratch: scratch, out: out, types: types,
                        scores: scores, context: context, queryStride: queryStride, keyValueStride: keyValueStride,
                        queries: queries, keys: keys, width: width, headWidth: headWidth, bands: bands,
                        scratchBytes: scratchBytes(queries: queries, keys: keys))
        Parallel.run(workers: workers.count) { worker in
            for item in stride(from: worker, to: items, by: workers.count) {
                plan.band(item % bands, head: item / bands, worker: worker, on: workers[worker])
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
        let scores, context: [Int: MatmulPrimitive]
        let queryStride: Int, keyValueStride: Int
        let queries: Int, keys: Int, width: Int, headWidth: Int, bands: Int, scratchBytes: Int

        func band(_ band: Int, head: Int, worker index: Int, on worker: OneDNN.Worker) {
            let rows = Parallel.share(of: queries, worker: band, workers: bands)
            let (operand, output) = (types.operands.bytes, types.output.bytes)
            let q = query + (rows.lowerBound * queryStride + head * headWidth) * operand
            let k = key + head * headWidth * operand
            let v = value + head * headWidth * operand
            let target = out + (rows.lowerBound * width + head * headWidth) * output
            let base = scratch + index * scratchBytes
            let logits = base.assumingMemoryBound(to: Float.self)
            let inverseSums = logits + rows.count * keys
            scores[rows.count]!.run(source: q, weights: k, bias: nil, destination: logits,
                                    stream: worker.stream, scratchpad: worker.scratchpad)
            Kernels.exponentiateRows(logits, rows: rows.count, columns: keys, inverseSums: inverseSums)
            let probabilities: UnsafeRawPointer
            if types.operands == .bf16 {
                let narrow = (base + (rows.count * (keys + 1) * 4 + 63) / 64 * 64).assumingMemoryBound(to: UInt16.self)
                for row in 0..<rows.count {
                    Quantize.bfloat16(logits + row * keys, count: keys, scale: inverseSums[row], into: narrow + row * keys)
                }
                probabilities = UnsafeRawPointer(narrow)
            } else {
                for row in 0..<rows.count {
                    let values = logits + row * keys
                    let inverse = inverseSums[row]
                    for j in 0..<keys { values[j] *= inverse }
                }
                probabilities = UnsafeRawPointer(logits)
            }
            context[rows.count]!.run(source: probabilities, weights: v, bias: nil, destination: target,
                                     stream: worker.stream, scratchpad: worker.scratchpad)
        }
    }
}
