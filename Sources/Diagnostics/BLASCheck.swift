// OpenBLAS: a 64x64 sgemm checked against a naive triple loop.
import COpenBLAS

public enum BLASCheck {
    public static let size = 64

    public static func run() -> LibraryCheck {
        let n = size
        var pattern = TestPattern(seed: 7)
        let a = (0..<n * n).map { _ in pattern.nextFloat() }
        let b = (0..<n * n).map { _ in pattern.nextFloat() }
        var c = [Float](repeating: 0, count: n * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                    1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
        let reference = naiveProduct(a, b, n: n)
        var maxDifference: Float = 0
        for i in 0..<n * n { maxDifference = max(maxDifference, abs(c[i] - reference[i])) }
        // Sums of 64 products of values in [-1, 1]: float rounding stays far below 1e-4.
        let passed = maxDifference <= 1e-4 && !c.allSatisfy { $0 == 0 }
        let core = String(cString: openblas_get_corename())
        let threads = openblas_get_num_threads()
        return LibraryCheck(
            library: "openblas", version: version, passed: passed,
            detail: "sgemm \(n)x\(n) max|diff| \(maxDifference) against a naive loop; "
                + "core \(core), \(threads) thread\(threads == 1 ? "" : "s")")
    }

    /// The version from OpenBLAS's build configuration ("OpenBLAS 0.3.21 ...").
    static var version: String {
        let words = String(cString: openblas_get_config()).split(separator: " ")
        return words.count > 1 ? String(words[1]) : "unknown"
    }

    static func naiveProduct(_ a: [Float], _ b: [Float], n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var sum: Float = 0
                for k in 0..<n { sum += a[i * n + k] * b[k * n + j] }
                c[i * n + j] = sum
            }
        }
        return c
    }
}
