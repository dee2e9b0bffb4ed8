// Multi-head scaled dot-product attention read in place from strided Q, K and V buffers (a
// fused [tokens, 3·width] QKV buffer for self-attention, separate ones for cross-attention).
// Work items are (head, band of query rows): the band's scores stay in the worker's cache
// through two GEMMs with strided operands and the exponentials, and the softmax's division
// is applied to the band's output (head width) instead of its scores.

enum Attention {
    /// At most this many query rows per work item: a band's scores (rows × tokens) then fit
    /// a 1 MB L2 up to about 1000 tokens (448 pixels), and K and V are packed once per band.
    static let bandRows = 256

    /// Floats of scratch that self-attention over `tokens` needs for `workers` workers.
    static func scratchCount(tokens: Int, workers: Int) -> Int {
        scratchCount(queries: tokens, keys: tokens, workers: workers)
    }

    /// Floats of scratch that `queries` rows attending over `keys` rows need for `workers` workers.
    static func scratchCount(queries: Int, keys: Int, workers: Int) -> Int {
        workers * (min(bandRows, queries) * keys + bandRows)
    }

    /// Self-attention: out[tokens×width] = concat over heads of softmax(Q_h K_hᵀ / √d) V_h,
    /// Q, K and V side by side in each row of `qkv`.
    static func run(
        qkv: UnsafePointer<Float>, tokens: Int, width: Int, heads: Int,
        workers: Int, scratch: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        run(query: qkv, queryStride: 3 * width, queries: tokens,
            key: qkv + width, value: qkv + 2 * width, keyValueStride: 3 * width, keys: tokens,
            width: width, heads: heads, workers: workers, scratch: scratch, into: out)
    }

    /// out[queries×width] = concat over heads of softmax(Q_h K_hᵀ / √d) V_h, where row i of Q
    /// starts at query + i·queryStride and row j of K (V) at key (value) + j·keyValueStride.
    static func run(
        query: UnsafePointer<Float>, queryStride: Int, queries: Int,
        key: UnsafePointer<Float>, value: UnsafePointer<Float>, keyValueStride: Int, keys: Int,
        width: Int, heads: Int, workers requested: Int, scratch: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        let bands = (queries + bandRows - 1) / bandRows
        let items = heads * bands
        let workers = max(1, min(requested, items))
        let plan = Plan(query: query, key: key, value: value, scratch: scratch, out: out,
                        queryStride: queryStride, keyValueStride: keyValueStride,
                        queries: queries, keys: keys, width: width, headWidth: width / heads, bands: bands)
        BLASThreads.singleThreaded {
            Parallel.run(workers: workers) { worker in
                let scores = plan.scratch + worker * (min(bandRows, queries) * keys + bandRows)
                for item in stride(from: worker, to: items, by: workers) {
                    plan.band(item % bands, head: item / bands, scores: scores)
                }
            }
        }
    }

    /// The buffers handed to the workers: each writes its own items' rows of its heads'
    /// columns of `out`, and its own scratch, so no two threads touch the same memory.
    private struct Plan: @unchecked Sendable {
        let query, key, value: UnsafePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let out: UnsafeMutablePointer<Float>
        let queryStride: Int, keyValueStride: Int
        let queries: Int, keys: Int, width: Int, headWidth: Int, bands: Int

        func band(_ band: Int, head: Int, scores: UnsafeMutablePointer<Float>) {
            let rows = Parallel.share(of: queries, worker: band, workers: bands)
            let q = query + rows.lowerBound * queryStride + head * headWidth
            let k = key + head * headWidth
            let v = value + head * headWidth
            let target = out + rows.lowerBound * width + head * headWidth
            let inverseSums = scores + rows.count * keys
            GEMM.multiply(m: rows.count, n: keys, k: headWidth, alpha: 1 / Float(headWidth).squareRoot(),
                          a: q, lda: queryStride, b: k, ldb: keyValueStride, transposeB: true,
                          beta: 0, c: scores, ldc: keys)
            Kernels.exponentiateRows(scores, rows: rows.count, columns: keys, inverseSums: inverseSums)
            GEMM.multiply(m: rows.count, n: headWidth, k: keys,
                          a: scores, lda: keys, b: v, ldb: keyValueStride, transposeB: false,
                          beta: 0, c: target, ldc: width)
            for row in 0..<rows.count {
                let values = target + row * width
                let inverse = inverseSums[row]
                for j in 0..<headWidth { values[j] *= inverse }
            }
        }
    }
}
