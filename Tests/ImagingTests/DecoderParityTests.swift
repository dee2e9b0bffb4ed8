// Every PNG and JPEG fixture variant decoded here and by Pillow (tooling venv), compared
// pixel by pixel.
import Foundation
import Testing
@testable import Imaging

/// Pillow's decode of the given files, keyed by file name.
func pillowDecodes(_ files: [URL]) throws -> [String: [UInt8]] {
    let directory = try ReferenceTools.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try ReferenceTools.runPython("pillow_decode.py", [directory.path] + files.map(\.path))
    var decoded = [String: [UInt8]]()
    for file in files {
        let raw = directory.appendingPathComponent(file.lastPathComponent + ".rgb")
        decoded[file.lastPathComponent] = try [UInt8](Data(contentsOf: raw))
    }
    return decoded
}

func fixtureFiles(_ prefix: String) throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: ReferenceTools.fixtures, includingPropertiesForKeys: nil)
        .filter { $0.lastPathComponent.hasPrefix(prefix) }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

/// The largest per-sample difference between two decodes of equal length, and how many
/// samples are equal.
private func difference(_ decoded: [UInt8], _ expected: [UInt8]) -> (max: Int, equal: Int) {
    var maxDifference = 0, equal = 0
    for i in expected.indices {
        let d = abs(Int(decoded[i]) - Int(expected[i]))
        maxDifference = max(maxDifference, d)
        if d == 0 { equal += 1 }
    }
    return (maxDifference, equal)
}

@Suite struct DecoderParityTests {
    @Test func pngVariantsMatchPillowExactly() throws {
        let files = try fixtureFiles("png_")
        #expect(files.count >= 20, "every PNG variant has a fixture")
        let reference = try pillowDecodes(files)
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            let image: RGBImage
            do { image = try ImageDecoder.decode(bytes) } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
                continue
            }
            #expect(image.width == 37 && image.height == 29, "\(file.lastPathComponent)")
            #expect(image.pixels == reference[file.lastPathComponent], "\(file.lastPathComponent)")
        }
    }

    /// Pillow bundles its own libjpeg-turbo; the system one may use other SIMD IDCT and
    /// upsampling code. The tolerance: at most 2 levels per sample, and 99% of samples equal.
    @Test func jpegVariantsMatchPillowWithinIDCTTolerance() throws {
        let files = try fixtureFiles("jpeg_")
        #expect(files.count == 6)
        let reference = try pillowDecodes(files)
        for file in files {
            let image = try ImageDecoder.decode([UInt8](Data(contentsOf: file)))
            let expected = try #require(reference[file.lastPathComponent])
            #expect(image.pixels.count == expected.count, "\(file.lastPathComponent)")
            guard image.pixels.count == expected.count else { continue }
            let (maxDifference, equal) = difference(image.pixels, expected)
            print("jpeg parity \(file.lastPathComponent): max |diff| \(maxDifference), \(equal)/\(expected.count) samples equal")
            #expect(maxDifference <= 2, "\(file.lastPathComponent): max |diff| \(maxDifference)")
            #expect(Double(equal) / Double(expected.count) >= 0.99, "\(file.lastPathComponent): \(equal)/\(expected.count) equal")
        }
    }

    @Test func devImagesDecodeLikePillow() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: ReferenceTools.sharedData.path)
            .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") || $0.hasSuffix(".jpeg") }
            .map { ReferenceTools.sharedData.appendingPathComponent($0) }
        #expect(files.count >= 20)
        let reference = try pillowDecodes(files)
        for file in files {
            let image = try ImageDecoder.decode([UInt8](Data(contentsOf: file)))
            let expected = try #require(reference[file.lastPathComponent])
            #expect(image.pixels.count == expected.count)
            guard image.pixels.count == expected.count else { continue }
            let (maxDifference, equal) = difference(image.pixels, expected)
            print("dev decode parity \(file.lastPathComponent): max |diff| \(maxDifference), \(equal)/\(expected.count) samples equal")
            #expect(maxDifference <= 2, "\(file.lastPathComponent): max |diff| \(maxDifference)")
        }
    }
}
