// The largest eigenpairs of a dense symmetric matrix through LAPACK's ssyevr (MRRR), which
// computes only the requested ones: the normalised cut needs a handful of a few hundred.
import COpenBLAS

enum SymmetricEigen {
    /// The `count` largest eigenvalues (ascending) and their eigenvectors (column-major,
    /// n per vector) of the n × n symmetric `matrix` (row-major or column-major alike).
    /// OpenBLAS keeps its process-wide thread count here: lowering it for the solve (its
    /// threads bring little at a few hundred rows) lowered it for every other thread's
    /// products too, and their float sums then depended on what else was running.
    static func largest(_ matrix: [Float], n: Int, count requested: Int) -> (values: [Float], vectors: [Float])? {
        let count = min(requested, n)
        guard n > 0, count > 0 else { return nil }
        var a = matrix
        var jobz = Int8(UInt8(ascii: "V")), range = Int8(UInt8(ascii: "I")), uplo = Int8(UInt8(ascii: "U"))
        var size = Int32(n), lda = Int32(n), ldz = Int32(n)
        var vl: Float = 0, vu: Float = 0
        var il = Int32(n - count + 1), iu = Int32(n)
        var abstol: Float = 0
        var found: Int32 = 0
        var values = [Float](repeating: 0, count: n)
        var vectors = [Float](repeating: 0, count: n * count)
        var support = [Int32](repeating: 0, count: 2 * max(1, count))
        var info: Int32 = 0
        // Workspace query first, then the solve.
        var workSize: Float = 0
        var iworkSize: Int32 = 0
        var query: Int32 = -1
        ssyevr_(&jobz, &range, &uplo, &size, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &values, &vectors,
                &ldz, &support, &workSize, &query, &iworkSize, &query, &info, 1, 1, 1)
        guard info == 0 else { return nil }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        ssyevr_(&jobz, &range, &uplo, &size, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &values, &vectors,
                &ldz, &support, &work, &lwork, &iwork, &liwork, &info, 1, 1, 1)
        guard info == 0, Int(found) == count else { return nil }
        return (Array(values.prefix(count)), vectors)
    }
}
