// RLE and Segmentation behaviour on small hand-made masks, and the typed errors for bad input.
import Foundation
import Testing
import TestSupport
@testable import Imaging

@Suite struct RLETests {
    // 3 x 4 (h x w), row-major:
    //   0 1 1 0
    //   0 1 0 0
    //   1 1 0 0
    let rowMajor: [UInt8] = [0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0]

    @Test func encodesColumnMajorRuns() throws {
        let rle = try RLE(rowMajor: rowMajor, height: 3, width: 4)
        // Columns: [0,0,1] [1,1,1] [1,0,0] [0,0,0] -> 2 bg, 5 fg, 5 bg.
        #expect(rle.counts == [2, 5, 5])
        #expect(rle.area == 5)
        #expect(rle.bbox == BoundingBox(x: 0, y: 0, width: 3, height: 3))
        #expect(rle.rowMajorMask() == rowMajor)
        #expect(try RLE(compressed: rle.compressed, height: 3, width: 4) == rle)
    }

    @Test func iouOfOverlappingMasks() throws {
        let a = try RLE(rowMajor: rowMajor, height: 3, width: 4)
        let b = try RLE(rowMajor: [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1], height: 3, width: 4)
        // a ∩ b = 3 (column 1), a ∪ b = 5 + 1.
        #expect(try RLE.iou(a, b) == 3.0 / 6.0)
        #expect(try RLE.iou(a, a) == 1)
        let empty = try RLE.empty(height: 3, width: 4)
        #expect(try RLE.iou(a, empty) == 0)
        #expect(try RLE.merge([a, b]).area == 6)
        #expect(try RLE.merge([a, b], intersect: true).area == 3)
        #expect(throws: MaskError.sizeMismatch(expected: a.size, found: MaskSize(height: 4, width: 3))) {
            try RLE.iou(a, try RLE.empty(height: 4, width: 3))
        }
    }

    /// Union, intersection and IoU from the runs equal the same computed pixel by pixel, on
    /// random masks including empty and full ones and masks starting in foreground.
    @Test func mergeAndIoUMatchPixelwise() throws {
        var random = SplitMix64(seed: 5)
        let (height, width) = (7, 6)
        for _ in 0..<200 {
            let masks = try (0..<(1 + random.below(4))).map { _ in
                let density = random.below(5)
                let pixels = (0..<height * width).map { _ in UInt8(random.below(4) < density ? 1 : 0) }
                return try RLE(columnMajor: pixels, height: height, width: width)
            }
            let decoded = masks.map { $0.columnMajorMask() }
            let union = decoded.dropFirst().reduce(decoded[0]) { zip($0, $1).map { $0 | $1 } }
            let intersection = decoded.dropFirst().reduce(decoded[0]) { zip($0, $1).map { $0 & $1 } }
            #expect(try RLE.merge(masks) == RLE(columnMajor: union, height: height, width: width))
            #expect(try RLE.merge(masks, intersect: true) == RLE(columnMajor: intersection, height: height, width: width))
            let (a, b) = (masks[0], masks[masks.count - 1])
            let both = zip(a.columnMajorMask(), b.columnMajorMask()).filter { $0 == 1 && $1 == 1 }.count
            let either = zip(a.columnMajorMask(), b.columnMajorMask()).filter { $0 == 1 || $1 == 1 }.count
            // pycocotools' box screen may return 0 where the masks touch only in a box of no area.
            let expected = both == 0 ? 0 : Double(both) / Double(either)
            let iou = try RLE.iou(a, b)
            #expect(iou == expected || (iou == 0 && BoundingBox.iou(a.bbox, b.bbox) <= 0))
        }
    }

    @Test func rejectsBadCounts() {
        #expect(throws: MaskError.countsDoNotCoverImage(sum: 11, expected: 12)) {
            try RLE(counts: [2, 5, 4] as [UInt32], height: 3, width: 4)
        }
        #expect(throws: MaskError.countOutOfRange(index: 1, value: -5)) {
            try RLE(counts: [2, -5, 15], height: 3, width: 4)
        }
        #expect(throws: MaskError.invalidSize(height: -1, width: 4)) {
            try RLE(counts: [] as [UInt32], height: -1, width: 4)
        }
        #expect(throws: MaskError.invalidSize(height: 70000, width: 70000)) {
            try RLE.empty(height: 70000, width: 70000)
        }
    }

    @Test func rejectsMalformedStrings() {
        #expect(throws: MaskError.self) { try RLE(compressed: "ab{", height: 3, width: 4) }
        // 'P' (0x50 - 48 = 0x20) continues into a group that never comes.
        #expect(throws: MaskError.self) { try RLE(compressed: "P", height: 3, width: 4) }
        #expect(throws: MaskError.self) { try RLE(compressed: "oooooooooo1", height: 3, width: 4) }
        #expect(throws: MaskError.self) { try RLE(compressed: "25", height: 3, width: 4) }
    }

    @Test func rejectsBadPolygons() {
        #expect(throws: MaskError.self) { try RLE(polygons: [], height: 3, width: 4) }
        #expect(throws: MaskError.self) { try RLE(polygons: [[0, 0, 1, 1]], height: 3, width: 4) }
        #expect(throws: MaskError.self) { try RLE(polygons: [[0, 0, 1, 1, 2, 2, 3]], height: 3, width: 4) }
        #expect(throws: MaskError.self) { try RLE(polygons: [[0, 0, .nan, 1, 2, 2]], height: 3, width: 4) }
        #expect(throws: MaskError.self) { try RLE(polygons: [[0, 0, 9e6, 0, 9e6, 9e6, 0, 9e6]], height: 3, width: 4) }
    }

    @Test func polygonsOnAnImageWithoutPixels() throws {
        for (h, w) in [(0, 5), (5, 0), (0, 0)] {
            let rle = try RLE(polygons: [[1, 1, 30, 2, 9, 40]], height: h, width: w)
            #expect(rle.counts == [0] && rle.area == 0 && rle.rowMajorMask().isEmpty)
        }
    }

    @Test func polygonCoversItsPixels() throws {
        // A square over pixels x 1...2, y 0...1 (corners on pixel edges).
        let rle = try RLE(polygons: [[1, 0, 3, 0, 3, 2, 1, 2]], height: 3, width: 4)
        #expect(rle.bbox == BoundingBox(x: 1, y: 0, width: 2, height: 2))
        #expect(rle.area == 4)
    }

    @Test func segmentationDecodesTheThreeShapes() throws {
        let decoder = JSONDecoder()
        let compressed = try decoder.decode(Segmentation.self, from: Data(#"{"size": [3, 4], "counts": "255"}"#.utf8))
        let a = try RLE(counts: [2, 5, 5] as [UInt32], height: 3, width: 4)
        #expect(compressed == .compressed(a))
        let runs = try decoder.decode(Segmentation.self, from: Data(#"{"size": [3, 4], "counts": [2, 5, 5]}"#.utf8))
        #expect(runs == .uncompressed(a))
        let polygons = try decoder.decode(Segmentation.self, from: Data("[[1, 0, 3, 0, 3, 2, 1, 2]]".utf8))
        #expect(try polygons.rle(height: 3, width: 4).area == 4)
        #expect(throws: MaskError.self) { try compressed.rle(height: 4, width: 3) }
        // Encoding keeps the shape.
        let again = try decoder.decode(Segmentation.self, from: JSONEncoder().encode(runs))
        #expect(again == runs)
    }

    @Test func segmentationErrorsCarryTheJSONPath() {
        struct Instance: Decodable { var segmentation: Segmentation }
        let bad = Data(#"[{"segmentation": {"size": [3, 4], "counts": [2, 5]}}]"#.utf8)
        do {
            _ = try JSONDecoder().decode([Instance].self, from: bad)
            Issue.record("short counts were accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.codingPath.map(\.stringValue).suffix(2) == ["segmentation", "counts"])
            #expect(context.debugDescription.contains("add up to 7"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
