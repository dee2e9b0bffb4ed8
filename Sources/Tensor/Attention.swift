// Multi-head scaled dot-product attention read in place from a fused [tokens, 3·width]
// QKV buffer. Work items are (head, band of query rows): the band's scores stay in the
// worker's cache through two GEMMs with strided operands and the exponentials, and the
// softmax's division is applied to the band's output (head width) instead of its scores.

enum Attention {
    /// At most this many query rows per work item: a band's scores (rows × tokens) then fit
    /// a 1 MB L2 up to about 1000 tokens (448 pixels), and K and V are packed once per band.
    static let bandRows = 256

    /// Floats of scratch that `run` needs for `workers` workers.
    static func scratchCount(tokens: Int, workers: Int) -> Int {
        workers * (min(bandRows, tokens) * tokens + bandRows)
    }

    /// out[tokens×width] = concat over heads of softmax(Q_h K_hᵀ / √d) V_h.
    static func run(
        qkv: UnsafePointer<Float>, tokens: Int, width: Int, heads: Int,
        workers requested: Int, scratch: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        let bands = (tokens + bandRows - 1) / bandRows
        let items = heads * bands
        let workers = max(1, min(requested, items))
        let plan = Plan(qkv: qkv, scratch: scratch, out: out, tokens: tokens, width: width,
                        headWidth: width / heads, bands: bands)
        BLASThreads.singleThreaded {
            Parallel.run(workers: workers) { worker in
                let scores = plan.scratch + worker * (min(bandRows, tokens) * tokens + bandRows)
                for item in stride(from: worker, to: items, by: workers) {
                    plan.band(item % bands, head: item / bands, scores: scores)
                }
            }
        }
    }

    /// The buffers handed to the workers: each writes its own items' rows of its heads'
    /// columns of `out`, and its own scratch, so no two threads touch the same memory.
    private struct Plan: @unchecked Sendable {
        let qkv: UnsafePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let out: UnsafeMutablePointer<Float>
        let tokens: Int, width: Int, headWidth: Int, bands: Int

        func band(_ band: Int, head: Int, scores: UnsafeMutablePointer<Float>) {
            let rows = Parallel.share(of: tokens, worker: band, workers: bands)
            let stride = 3 * width
            let q = qkv + rows.lowerBound * stride + head * headWidth
            let k = qkv + width + head * headWidth
            let v = qkv + 2 * width + head * headWidth
            let target = out + rows.lowerBound * width + head * headWidth
            let inverseSums = scores + rows.count * tokens
            GEMM.multiply(m: rows.count, n: tokens, k: headWidth, alpha: 1 / Float(headWidth).squareRoot(),
                          a: q, lda: stride, b: k, ldb: stride, transposeB: true,
                          beta: 0, c: scores, ldc: tokens)
            Kernels.exponentiateRows(scores, rows: rows.count, columns: tokens, inverseSums: inverseSums)
            GEMM.multiply(m: rows.count, n: headWidth, k: tokens,
                          a: scores, lda: tokens, b: v, ldb: stride, transposeB: false,
                          beta: 0, c: target, ldc: width)
            for row in 0..<rows.count {
                let values = target + row * width
                let inverse = inverseSums[row]
                for j in 0..<headWidth { values[j] *= inverse }
            }
        }
    }
}
