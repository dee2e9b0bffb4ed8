// Multi-head scaled dot-product attention read in place from a fused [tokens, 3·width]
// QKV buffer: per head two GEMMs with strided operands and a softmax, heads spread over
// worker threads while OpenBLAS runs single-threaded inside each.

enum Attention {
    /// out[tokens×width] = concat over heads of softmax(Q_h K_hᵀ / √d) V_h.
    /// `scratch` holds `workers · tokens²` floats (one score matrix per worker).
    static func run(
        qkv: UnsafePointer<Float>, tokens: Int, width: Int, heads: Int,
        workers requested: Int, scratch: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let workers = max(1, min(requested, heads))
        let pointers = Pointers(qkv: qkv, scratch: scratch, out: out, tokens: tokens, width: width,
                                headWidth: headWidth, scale: scale)

        if workers == 1 {
            for h in 0..<heads { pointers.head(h, scores: pointers.scratch) }
            return
        }
        BLASThreads.singleThreaded {
            Parallel.run(workers: workers) { worker in
                let scores = pointers.scratch + worker * tokens * tokens
                for h in Swift.stride(from: worker, to: heads, by: workers) {
                    pointers.head(h, scores: scores)
                }
            }
        }
    }

    /// The buffers handed to the workers: each writes its own heads' columns of `out` and
    /// its own score matrix, so no two threads touch the same memory.
    private struct Pointers: @unchecked Sendable {
        let qkv: UnsafePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let out: UnsafeMutablePointer<Float>
        let tokens: Int
        let width: Int
        let headWidth: Int
        let scale: Float

        func head(_ h: Int, scores: UnsafeMutablePointer<Float>) {
            let stride = 3 * width
            let q = qkv + h * headWidth
            let k = q + width
            let v = q + 2 * width
            GEMM.multiply(m: tokens, n: tokens, k: headWidth, alpha: scale,
                          a: q, lda: stride, b: k, ldb: stride, transposeB: true,
                          beta: 0, c: scores, ldc: tokens)
            Kernels.softmaxRows(scores, rows: tokens, columns: tokens)
            GEMM.multiply(m: tokens, n: headWidth, k: tokens,
                          a: scores, lda: tokens, b: v, ldb: stride, transposeB: false,
                          beta: 0, c: out + h * headWidth, ldc: width)
        }
    }
}
