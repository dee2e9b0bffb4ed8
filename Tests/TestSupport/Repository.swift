// Where the tests find the repository, the shared data beside it and the tooling venv: from
// this file's path, because CI clones the repository into a fresh folder with shared/ beside it.
import Foundation

public enum Repository {
    /// The repository root (this file is Tests/TestSupport/Repository.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared acceptance data, kept beside the repository (`<root>/../shared`).
    public static let shared: URL = root.deletingLastPathComponent().appendingPathComponent("shared")

    /// The tooling venv's interpreter, created by `make setup`.
    public static let python: URL = root.appendingPathComponent(".venv/bin/python")

    /// An executable product of this package (such as `dpcl`): the build folder holds it beside
    /// the test bundle. When none is found, the first candidate, so the caller's failure names it.
    public static func builtProduct(_ name: String) -> String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name),
            Bundle.main.bundleURL.appendingPathComponent(name),
            root.appendingPathComponent(".build/debug/\(name)"),
        ].map(\.path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }
}
