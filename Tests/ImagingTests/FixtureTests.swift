// The committed image fixtures against the committed script that generates them.
import Foundation
import Testing
@testable import Imaging

@Suite struct FixtureTests {
    /// The committed fixtures are exactly what the committed script writes.
    @Test func fixturesAreRegeneratedIdentically() throws {
        let directory = try ReferenceTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ReferenceTools.runPython("make_fixtures.py", [directory.path])
        let generated = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let committed = try (fixtureFiles("png_") + fixtureFiles("jpeg_")).map(\.lastPathComponent).sorted()
        #expect(generated == committed)
        for name in generated {
            let fresh = try Data(contentsOf: directory.appendingPathComponent(name))
            let stored = try Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent(name))
            #expect(fresh == stored, "\(name) differs from what make_fixtures.py writes")
        }
    }
}
