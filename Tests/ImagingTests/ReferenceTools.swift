// The imaging tests' dev data and fixtures, and how they run a fixture's reference script in
// the tooling venv.
import Foundation
import TestSupport

enum ReferenceTools {
    /// The dev data, kept beside the repository (`<root>/../shared/data`).
    static let sharedData = Repository.shared.appendingPathComponent("data")

    static let fixtures = Repository.root.appendingPathComponent("Tests/ImagingTests/Fixtures")

    /// Runs a reference script of the fixtures folder in the venv; a missing venv fails the test.
    static func runPython(_ script: String, _ arguments: [String]) throws {
        try Venv.runPython([fixtures.appendingPathComponent(script).path] + arguments)
    }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dpcl-imaging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
