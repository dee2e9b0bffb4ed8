// RLE strings, polygon masks, area, bbox and IoU against pycocotools on every mask of the
// dev splits and on polygons built on each of them.
import Foundation
import Testing
@testable import Imaging

private struct Reference: Decodable {
    struct Summary: Decodable {
        var counts: String
        var area: Int
        var bbox: [Double]
        var pixel_sum: Int
        var pixel_square_sum: Int
    }
    struct Annotation: Decodable {
        var split: String
        var id: Int
        var size: [Int]
        var counts: String
        var reencoded: Summary
        var reference: Summary
    }
    struct Polygon: Decodable {
        var size: [Int]
        var polygons: [[Double]]
        var reference: Summary
    }
    struct Overlap: Decodable {
        var size: [Int]
        var a: String
        var b: String
        var iou: Double
    }
    var annotations: [Annotation]
    var polygons: [Polygon]
    var ious: [Overlap]

    static func load() throws -> Reference {
        let directory = try ReferenceTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("reference.json")
        try ReferenceTools.runPython("coco_reference.py", [ReferenceTools.sharedData.path, output.path])
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: output))
    }
}

/// Compares one mask with pycocotools' summary of it; returns what differs.
private func differences(_ rle: RLE, _ expected: Reference.Summary) -> [String] {
    var found = [String]()
    if rle.compressed != expected.counts { found.append("counts") }
    if rle.area != expected.area { found.append("area \(rle.area) != \(expected.area)") }
    if rle.bbox.array != expected.bbox { found.append("bbox \(rle.bbox.array) != \(expected.bbox)") }
    let mask = rle.rowMajorMask()
    var sum = 0, squares = 0
    for (index, value) in mask.enumerated() where value != 0 {
        sum += index
        squares += index * index
    }
    if sum != expected.pixel_sum || squares != expected.pixel_square_sum { found.append("decoded pixels") }
    return found
}

@Suite struct COCOParityTests {
    @Test func devAnnotationsRoundTripByteIdentical() throws {
        let reference = try Reference.load()
        #expect(reference.annotations.count >= 14, "every RLE mask of the dev splits")
        for annotation in reference.annotations {
            let (h, w) = (annotation.size[0], annotation.size[1])
            let rle = try RLE(compressed: annotation.counts, height: h, width: w)
            #expect(rle.compressed == annotation.counts, "\(annotation.split) #\(annotation.id)")
            #expect(differences(rle, annotation.reference).isEmpty,
                    "\(annotation.split) #\(annotation.id): \(differences(rle, annotation.reference))")
            // Decoding to pixels and encoding again gives pycocotools' encode(decode()).
            let again = try RLE(rowMajor: rle.rowMajorMask(), height: h, width: w)
            #expect(again.compressed == annotation.reencoded.counts)
            let columns = try RLE(columnMajor: rle.columnMajorMask(), height: h, width: w)
            #expect(columns == rle)
        }
    }

    @Test func polygonsRasteriseLikePycocotools() throws {
        let reference = try Reference.load()
        #expect(reference.polygons.count >= 400)
        var mismatches = [String]()
        for (index, case_) in reference.polygons.enumerated() {
            let rle = try RLE(polygons: case_.polygons, height: case_.size[0], width: case_.size[1])
            let found = differences(rle, case_.reference)
            if !found.isEmpty { mismatches.append("case \(index) \(case_.size): \(found)") }
        }
        #expect(mismatches.count == 0, "\(mismatches.count) of \(reference.polygons.count): \(mismatches.prefix(5))")
    }

    @Test func iouMatchesRleIou() throws {
        let reference = try Reference.load()
        #expect(reference.ious.count > 100)
        for overlap in reference.ious {
            let (h, w) = (overlap.size[0], overlap.size[1])
            let a = try RLE(compressed: overlap.a, height: h, width: w)
            let b = try RLE(compressed: overlap.b, height: h, width: w)
            // pycocotools computes iou(dt=b, gt=a); the value is symmetric in exact arithmetic.
            #expect(try RLE.iou(b, a) == overlap.iou)
            #expect(try RLE.iou(a, b) == overlap.iou)
        }
    }
}
