// Helpers of the engine's tests: temporary folders, deterministic random data and the
// comparison measures the tests assert on.
import Foundation
import Testing
@testable import Tensor

enum TestSupport {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "dpcl-tensor-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// A small deterministic generator (tests must not depend on the system's randomness).
struct Pattern {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> Float {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }

    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        let values = (0..<shape.reduce(1, *)).map { _ in next() * scale }
        return try! Tensor(shape: shape, storage: values)
    }
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// The cosine similarity of each pair of corresponding rows of `columns` values.
func rowCosines(_ a: [Float], _ b: [Float], columns: Int) -> [Double] {
    (0..<(a.count / columns)).map { row in
        var dot = 0.0, na = 0.0, nb = 0.0
        for j in (row * columns)..<((row + 1) * columns) {
            dot += Double(a[j]) * Double(b[j]); na += Double(a[j]) * Double(a[j]); nb += Double(b[j]) * Double(b[j])
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}
