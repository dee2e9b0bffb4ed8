// The result of one system-library check and the list `dpcl doctor` runs.

/// What one check found: the library, its version as the library itself reports it, and
/// what was exercised.
public struct LibraryCheck: Sendable, Equatable {
    public var library: String
    public var version: String
    public var passed: Bool
    /// What was checked and the measured figure, or why the check failed.
    public var detail: String

    public init(library: String, version: String, passed: Bool, detail: String) {
        self.library = library
        self.version = version
        self.passed = passed
        self.detail = detail
    }

    /// One line for a terminal: `ok   openblas  0.3.21  sgemm 64x64 ...`.
    public var line: String {
        let mark = passed ? "ok  " : "FAIL"
        return "\(mark) \(padded(library, 9)) \(padded(version, 8)) \(detail)"
    }
}

private func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

public enum Doctor {
    /// Every check, in the order `dpcl doctor` prints them.
    public static func runAll() -> [LibraryCheck] {
        [
            BLASCheck.run(),
            OneDNNCheck.run(),
            PNGCheck.run(),
            JPEGCheck.run(),
            SQLiteCheck.run(),
            CryptoCheck.run(),
            ZlibCheck.run(),
        ]
    }
}

/// A deterministic test pattern (a 32-bit LCG), so a failing check is reproducible.
struct TestPattern {
    private var state: UInt32

    init(seed: UInt32) { state = seed }

    mutating func nextByte() -> UInt8 {
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }

    /// A value in [-1, 1).
    mutating func nextFloat() -> Float {
        Float(Int(nextByte()) - 128) / 128
    }
}
