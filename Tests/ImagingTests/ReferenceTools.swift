// Where the tests find the repository, the shared dev data and the tooling venv, and how
// they run a reference script in it.
import Foundation
import Testing

enum ReferenceTools {
    /// The repository root, found from this file's path (Tests/ImagingTests/<file>).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The dev data, kept beside the repository (`<root>/../shared/data`).
    static let sharedData = repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/data")

    static let fixtures = repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures")

    static let python = repositoryRoot.appendingPathComponent(".venv/bin/python")

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a Python script of the tooling venv (created by `make setup`); a missing venv
    /// fails the test, since the reference is the point of it.
    static func runPython(_ script: String, _ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: "no tooling venv at \(python.path): run `make setup` first")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [fixtures.appendingPathComponent(script).path] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) exited \(process.terminationStatus): "
                + String(decoding: message, as: UTF8.self))
        }
    }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dpcl-imaging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
