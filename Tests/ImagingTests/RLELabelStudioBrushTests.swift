// Label Studio's brush RLE against what its converter writes (the committed fixture of
// Fixtures/make_label_studio_brush.py), round trips on odd sizes, and malformed streams refused.
import Foundation
import Testing
@testable import Imaging

@Suite struct RLELabelStudioBrushTests {
    struct Case: Decodable {
        let height: Int, width: Int
        /// Row-major run lengths, background first.
        let runs: [Int]
        let painted: Bool
        let rle: [Int]

        var mask: [UInt8] {
            runs.enumerated().flatMap { index, length in [UInt8](repeating: UInt8(index % 2), count: length) }
        }
    }

    static func cases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("label_studio_brush.json")))
    }

    @Test func theConvertersBrushesDecodeToTheirMasksAndMasksEncodeToTheConvertersBytes() throws {
        let cases = try Self.cases()
        #expect(cases.count == 6 && cases.contains { $0.painted })
        for fixture in cases {
            let decoded = try RLE(labelStudioBrush: fixture.rle, height: fixture.height, width: fixture.width)
            #expect(decoded.rowMajorMask() == fixture.mask, "[\(fixture.height), \(fixture.width)]")
            if !fixture.painted {
                #expect(decoded.labelStudioBrush().map(Int.init) == fixture.rle, "[\(fixture.height), \(fixture.width)]")
            }
        }
    }

    @Test func masksOfOddSizesRoundTrip() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for (height, width) in [(1, 1), (3, 7), (17, 5), (64, 129), (1, 70_001), (257, 3)] {
            var pixels = [UInt8](repeating: 0, count: height * width)
            var index = 0
            while index < pixels.count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let length = Int(state >> 33) % 300 + 1
                let value: UInt8 = (state >> 20) & 1 == 0 ? 0 : 1
                for i in index..<min(index + length, pixels.count) { pixels[i] = value }
                index += length
            }
            let mask = try RLE(rowMajor: pixels, height: height, width: width)
            let back = try RLE(labelStudioBrush: mask.labelStudioBrush().map(Int.init), height: height, width: width)
            #expect(back == mask, "[\(height), \(width)]")
        }
        let empty = try RLE.empty(height: 4, width: 9)
        #expect(try RLE(labelStudioBrush: empty.labelStudioBrush().map(Int.init), height: 4, width: 9) == empty)
    }

    @Test func malformedBrushesAreRefused() throws {
        let good = try #require(try Self.cases().first)
        func refusal(_ rle: [Int], height: Int, width: Int) -> String? {
            do {
                _ = try RLE(labelStudioBrush: rle, height: height, width: width)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal(good.rle, height: good.height + 1, width: good.width)?.contains("RGBA image of [6, 7]") == true)
        #expect(refusal(Array(good.rle.prefix(10)), height: good.height, width: good.width)?.contains("middle of a field") == true)
        #expect(refusal([256] + good.rle.dropFirst(), height: good.height, width: good.width)?.contains("byte 0 is 256") == true)
        // A header that claims 4 bytes, then a run of 8.
        #expect(refusal([0, 0, 0, 4, 57, 27, 0b1111_1001, 0b1111_1111, 0b1100_0000], height: 1, width: 1)?.contains("past the image") == true)
    }
}
