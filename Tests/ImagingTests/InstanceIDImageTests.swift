// Instance-id PNGs to RLE and back (8- and 16-bit), against masks encoded independently.
import Foundation
import TestSupport
import Testing
@testable import Imaging

@Suite struct InstanceIDImageTests {
    /// A 23 x 31 id image with `ids` placed in blobs and stripes.
    func idImage(_ ids: [Int]) -> [UInt16] {
        var image = [UInt16](repeating: 0, count: 23 * 31)
        var random = SplitMix64(seed: 7)
        for y in 0..<23 {
            for x in 0..<31 where random.below(5) != 0 {
                image[y * 31 + x] = UInt16(ids[(x / 4 + y / 6) % ids.count])
            }
        }
        return image
    }

    func roundTrip(_ ids: [Int], raster: PNGRaster, expectedDepth: Int) throws {
        let pixels = idImage(ids)
        let png = try PNGEncoder.encode(raster, width: 31, height: 23)
        let instances = try InstanceIDImage.decode(png)
        let present: [Int] = Set(pixels.filter { $0 != 0 }.map { Int($0) }).sorted()
        #expect(instances.map(\.id) == present)
        for instance in instances {
            let binary: [UInt8] = pixels.map { Int($0) == instance.id ? 1 : 0 }
            #expect(instance.mask == (try RLE(rowMajor: binary, height: 23, width: 31)), "id \(instance.id)")
        }
        let written = try InstanceIDImage.encode(instances, height: 23, width: 31)
        #expect(written[24] == UInt8(expectedDepth), "IHDR bit depth")
        #expect(try InstanceIDImage.decode(written) == instances)
    }

    @Test func eightBitIDs() throws {
        let ids = [3, 7, 255, 1]
        try roundTrip(ids, raster: .gray8(idImage(ids).map { UInt8($0) }), expectedDepth: 8)
    }

    @Test func sixteenBitIDs() throws {
        let ids = [2, 300, 65535, 4096]
        try roundTrip(ids, raster: .gray16(idImage(ids)), expectedDepth: 16)
    }

    @Test func colourPNGIsNotAnIDImage() throws {
        let png = try PNGEncoder.encode(.rgb([UInt8](repeating: 9, count: 4 * 4 * 3)), width: 4, height: 4)
        #expect(throws: ImageError.self) { try InstanceIDImage.decode(png) }
        #expect(throws: ImageError.self) {
            try InstanceIDImage.encode([InstanceMask(id: 0, mask: try RLE.empty(height: 4, width: 4))], height: 4, width: 4)
        }
    }

    @Test func encodingRespectsTheLimits() throws {
        let huge = InstanceMask(id: 1, mask: try RLE.empty(height: 60000, width: 60000))
        #expect(throws: ImageError.tooLarge(width: 60000, height: 60000, limits: .default)) {
            try InstanceIDImage.encode([huge], height: 60000, width: 60000)
        }
    }

    @Test func jsonRoundTripWithNumericOrder() throws {
        let a = try RLE(polygons: [[0, 0, 9, 0, 9, 9]], height: 12, width: 10)
        let b = try RLE(polygons: [[1, 1, 9, 3, 4, 11]], height: 12, width: 10)
        let text = InstanceMasksJSON.encode([InstanceMask(id: 10, mask: a), InstanceMask(id: 2, mask: b)])
        #expect(text.range(of: "\"2\"")!.lowerBound < text.range(of: "\"10\"")!.lowerBound)
        let back = try InstanceMasksJSON.decode(Data(text.utf8))
        #expect(back == [InstanceMask(id: 2, mask: b), InstanceMask(id: 10, mask: a)])
        #expect(throws: InstanceMasksJSON.Failure.badID("x")) {
            try InstanceMasksJSON.decode(Data(#"{"x": {"size": [1, 1], "counts": [1]}}"#.utf8))
        }
        #expect(throws: InstanceMasksJSON.Failure.self) { try InstanceMasksJSON.decode(Data("[1]".utf8)) }
    }

    @Test func pngEncoderLevelsAndLayouts() throws {
        let rgba = (0..<(5 * 3 * 4)).map { UInt8($0 * 3 % 256) }
        let small = try PNGEncoder.encode(.rgba(rgba), width: 5, height: 3, level: 9)
        let stored = try PNGEncoder.encode(.rgba(rgba), width: 5, height: 3, level: 0)
        #expect(small.count < stored.count)
        let decoded = try ImageDecoder.decode(small)
        // RGBA decodes to RGB with alpha dropped.
        var rgb = [UInt8]()
        for pixel in 0..<15 { rgb += rgba[(pixel * 4)..<(pixel * 4 + 3)] }
        #expect(decoded.pixels == rgb)
        #expect(throws: ImageError.self) { try PNGEncoder.encode(.rgb([1, 2]), width: 5, height: 3) }
        #expect(throws: ImageError.self) { try PNGEncoder.encode(.rgb([1, 2, 3]), width: 1, height: 1, level: 10) }
    }
}
