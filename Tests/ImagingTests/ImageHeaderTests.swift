// Image sizes from headers alone, against the full decoder on every fixture, and the
// failures a data set's odd files give (a truncated header, a file that is not an image).
import Foundation
import Testing
@testable import Imaging

@Suite struct ImageHeaderTests {
    @Test func everyFixtureHeaderGivesTheDecodedSize() throws {
        for file in try fixtureFiles("png_") + fixtureFiles("jpeg_") {
            let decoded = try ImageDecoder.decode([UInt8](Data(contentsOf: file)))
            let header = try #require(try ImageHeader.read(path: file.path))
            #expect(header.width == decoded.width && header.height == decoded.height, "\(file.lastPathComponent)")
            #expect(header.format == (file.lastPathComponent.hasPrefix("png_") ? .png : .jpeg))
        }
    }

    @Test func aJPEGWithLargeSegmentsBeforeItsFrameIsReadBySkippingThem() throws {
        let jpeg = [UInt8](try Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("jpeg_baseline.jpg")))
        // An APP2 segment of 60,002 bytes (its length counts itself) after SOI: skipped, never read.
        let app2 = [0xFF, 0xE2, 0xEA, 0x62] + [UInt8](repeating: 7, count: 60_000)
        let padded = Array(jpeg[0..<2]) + app2 + Array(jpeg[2...])
        var reads = 0
        let header = try ImageHeader.parse { offset, count in
            reads += 1
            return Array(padded[min(offset, padded.count)..<min(offset + count, padded.count)])
        }
        let decoded = try ImageDecoder.decode(padded)
        #expect(header.width == decoded.width && header.height == decoded.height)
        #expect(reads < 12)
    }

    @Test func truncatedAndForeignFilesAreErrorsAndAMissingFileIsNil() throws {
        let png = [UInt8](try Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("png_rgb8.png")))
        let jpeg = [UInt8](try Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("jpeg_baseline.jpg")))
        func parse(_ bytes: [UInt8]) throws(ImageError) -> ImageHeader {
            try ImageHeader.parse { offset, count in Array(bytes[min(offset, bytes.count)..<min(offset + count, bytes.count)]) }
        }
        #expect(throws: ImageError.truncated(format: .png, detail: "no IHDR chunk")) { try parse(Array(png[0..<20])) }
        #expect(throws: ImageError.truncated(format: .jpeg, detail: "no start-of-frame marker")) { try parse(Array(jpeg[0..<40])) }
        #expect(throws: ImageError.notAnImage) { try parse(Array("GIF89a and more".utf8)) }
        #expect(try ImageHeader.read(path: "/nonexistent/\(UUID().uuidString).png") == nil)
    }
}
