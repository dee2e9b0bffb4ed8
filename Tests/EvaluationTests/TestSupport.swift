// Where the shared acceptance data lives (beside the repository), temporary files, and a
// tolerant comparison of JSON documents for score files.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

enum TestSupport {
    static let evalCases = Repository.shared.appendingPathComponent("eval-cases")

    /// The dev splits' ground-truth files.
    static func devSplits() throws -> [URL] {
        let data = Repository.shared.appendingPathComponent("data")
        return try FileManager.default.contentsOfDirectory(atPath: data.path).sorted()
            .map { data.appendingPathComponent($0).appendingPathComponent("pairs.json") }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("evaluation-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func benchmark(_ json: String) throws -> Benchmark {
        try GroundTruthReader.read(source: MemoryByteSource(Array(json.utf8)))
    }

    static func evaluate(_ benchmark: Benchmark, _ submission: String, alphas: [Double] = EvaluationOptions.paperAlphas) throws -> Scores {
        try Evaluator(benchmark: benchmark, options: EvaluationOptions(alphas: alphas))
            .evaluate(source: MemoryByteSource(Array(submission.utf8), chunk: 7))
    }

    /// Differences between an expected and an actual JSON value: numbers within `tolerance`,
    /// everything else equal; `extraKeys` may appear in actual objects only.
    static func differences(_ expected: Any, _ actual: Any, path: String = "", tolerance: Double = 1e-12,
                            extraKeys: Set<String> = []) -> [String] {
        switch (expected, actual) {
        case (let e as [String: Any], let a as [String: Any]):
            var found: [String] = []
            for (key, value) in e {
                guard let other = a[key] else { found.append("\(path).\(key): missing"); continue }
                found += differences(value, other, path: "\(path).\(key)", tolerance: tolerance, extraKeys: extraKeys)
            }
            for key in a.keys where e[key] == nil && !extraKeys.contains(key) { found.append("\(path).\(key): unexpected") }
            return found
        case (let e as [Any], let a as [Any]):
            guard e.count == a.count else { return ["\(path): \(e.count) elements, found \(a.count)"] }
            return zip(e, a).enumerated().flatMap { differences($1.0, $1.1, path: "\(path)[\($0)]", tolerance: tolerance, extraKeys: extraKeys) }
        case (is NSNull, is NSNull):
            return []
        case (let e as String, let a as String):
            return e == a ? [] : ["\(path): \"\(e)\" != \"\(a)\""]
        case (let e as NSNumber, let a as NSNumber):
            return abs(e.doubleValue - a.doubleValue) <= tolerance ? [] : ["\(path): \(e) != \(a)"]
        default:
            return ["\(path): \(expected) != \(actual)"]
        }
    }
}
