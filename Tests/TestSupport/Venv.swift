// Runs reference scripts in the tooling venv. A missing venv is a failure, never a skip: the
// test suite runs after `make setup`, and the reference is the point of such a test.
import Foundation

public struct VenvError: Error, CustomStringConvertible {
    public let description: String
}

public enum Venv {
    /// Runs `.venv/bin/python` with `arguments`; throws when the venv is missing or the script
    /// exits non-zero (with its stderr).
    @discardableResult
    public static func runPython(_ arguments: [String]) throws -> SubprocessResult {
        let python = Repository.python.path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw VenvError(description: "no tooling venv at \(python): run `make setup` first")
        }
        // Reference computations may print nothing for minutes.
        let result = try Subprocess.run(python, arguments, idleSeconds: 1800)
        guard result.status == 0 else {
            throw VenvError(description: "python \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderrText)")
        }
        return result
    }
}
