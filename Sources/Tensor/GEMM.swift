// Matrix products through OpenBLAS's cblas_sgemm, on raw row-major buffers with leading
// dimensions, so that heads and fused projections are read in place without copies.
import COpenBLAS

enum GEMM {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major.
    /// `transposeB` reads B as [n×k] (PyTorch's Linear weight layout) instead of [k×n].
    @inline(__always)
    static func multiply(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// y[rows×out] (+)= x[rows×in] · Wᵀ + bias, W in Linear layout [out×in].
    /// With `accumulate` the product is added to y (a residual connection for free).
    static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outFeatures: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int? = nil, accumulate: Bool = false
    ) {
        let ldy = ldy ?? outFeatures
        if let bias {
            for row in 0..<rows {
                let target = y + row * ldy
                if accumulate {
                    for j in 0..<outFeatures { target[j] += bias[j] }
                } else {
                    target.update(from: bias, count: outFeatures)
                }
            }
        }
        multiply(m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
                 b: weight, ldb: inFeatures, transposeB: true,
                 beta: (bias != nil || accumulate) ? 1 : 0, c: y, ldc: ldy)
    }
}
