// Decoding hostile bytes: truncated and bit-flipped fixtures, images declaring huge sizes,
// a progressive JPEG with hundreds of scans. Every one must be a typed error or a picture
// within the limits: no crash, no exit, nothing allocated for declared sizes over the limits.
import Foundation
import TestSupport
import Testing
@testable import Imaging

enum PNGChunks {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// Rewrites every chunk's CRC so that mutations reach libpng's inflate and row code.
    static func fixCRCs(_ data: inout [UInt8]) {
        var offset = 8
        while offset + 12 <= data.count {
            let length = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            let end = offset + 8 + length
            guard length >= 0, end + 4 <= data.count else { return }
            let value = crc(data[(offset + 4)..<end])
            for i in 0..<4 { data[end + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(i))) }
            offset = end + 4
        }
    }
}

private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

@Suite struct HostileInputTests {
    func seeds() throws -> [[UInt8]] {
        try fixtureFiles("png_").map { try [UInt8](Data(contentsOf: $0)) }
            + fixtureFiles("jpeg_").map { try [UInt8](Data(contentsOf: $0)) }
    }

    @Test func thousandsOfMutationsGiveTypedErrors() throws {
        let seeds = try seeds()
        #expect(seeds.count >= 25)
        var random = SplitMix64(seed: 0xD9C1_2024)
        var tally = [String: Int]()
        let limits = ImageLimits(maxPixels: 4_000_000, maxSide: 4096, maxScans: 100)
        let count = 3000
        for index in 0..<count {
            var data = seeds[index % seeds.count]
            switch random.below(4) {
            case 0:  // truncation
                data = Array(data.prefix(random.below(data.count)))
            case 1:  // bit flips
                for _ in 0...random.below(8) { data[random.below(data.count)] ^= UInt8(1 << random.below(8)) }
            case 2:  // a run of random bytes
                let start = random.below(data.count)
                for i in start..<min(data.count, start + 1 + random.below(32)) { data[i] = UInt8(random.below(256)) }
            default:  // bit flips past the signature, CRCs repaired for PNG
                for _ in 0...random.below(4) { data[8 + random.below(data.count - 8)] ^= UInt8(1 << random.below(8)) }
                if ImageFormat.sniff(data) == .png { PNGChunks.fixCRCs(&data) }
            }
            do {
                let image = try ImageDecoder.decode(data, limits: limits)
                #expect(image.width * image.height <= limits.maxPixels)
                #expect(image.pixels.count == image.width * image.height * 3)
                tally["decoded", default: 0] += 1
            } catch {
                tally[kind(of: error), default: 0] += 1
            }
            if ImageFormat.sniff(data) == .png {
                do { _ = try InstanceIDImage.decode(data, limits: limits) } catch { tally["ids: " + kind(of: error), default: 0] += 1 }
            }
        }
        print("hostile mutations: \(count) -> \(tally.sorted { $0.key < $1.key })")
        #expect((tally["truncated"] ?? 0) > 100)
        #expect((tally["corrupt"] ?? 0) > 100)
        #expect(tally.values.reduce(0, +) >= count)
    }

    private func kind(of error: ImageError) -> String {
        switch error {
        case .notAnImage: "not an image"
        case .truncated: "truncated"
        case .corrupt: "corrupt"
        case .tooLarge: "too large"
        case .tooManyScans: "too many scans"
        case .unsupported: "unsupported"
        case .invalidPixels: "invalid pixels"
        case .outOfMemory: "out of memory"
        }
    }

    @Test func pngDeclaring20000SquaredIsTooLarge() throws {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ body: [UInt8]) {
            let typed = Array(type.utf8) + body
            png += be32(UInt32(body.count)) + typed + be32(PNGChunks.crc(typed[...]))
        }
        chunk("IHDR", be32(20000) + be32(20000) + [8, 2, 0, 0, 0])
        chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        chunk("IEND", [])
        #expect(png.count < 100)
        #expect(throws: ImageError.tooLarge(width: 20000, height: 20000, limits: .default)) {
            try ImageDecoder.decode(png)
        }
        #expect(throws: ImageError.self) { try InstanceIDImage.decode(png) }
        // The same header within generous limits still fails cleanly: the data is missing.
        #expect(throws: ImageError.self) {
            try ImageDecoder.decode(png, limits: ImageLimits(maxPixels: 500_000_000, maxSide: 20000))
        }
    }

    @Test func jpegDeclaring65500SquaredIsTooLarge() throws {
        var jpeg = try [UInt8](Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("jpeg_baseline.jpg")))
        let sof = try #require(markerOffset(jpeg, 0xC0))
        // SOF0: FF C0, length (2), precision (1), height (2), width (2).
        jpeg[sof + 5] = 0xFF; jpeg[sof + 6] = 0xDC
        jpeg[sof + 7] = 0xFF; jpeg[sof + 8] = 0xDC
        #expect(throws: ImageError.tooLarge(width: 65500, height: 65500, limits: .default)) {
            try ImageDecoder.decode(jpeg)
        }
    }

    @Test func progressiveJPEGWithHundredsOfScansIsCapped() throws {
        let jpeg = try [UInt8](Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("jpeg_progressive.jpg")))
        // Repeat the first scan (DC first pass) 400 times: libjpeg only warns about the
        // bogus progression and would walk the image for every scan.
        let sos = try #require(markerOffset(jpeg, 0xDA))
        let next = try #require(nextMarker(jpeg, after: sos + 2))
        let scan = Array(jpeg[sos..<next])
        let hostile = Array(jpeg[..<next]) + Array([[UInt8]](repeating: scan, count: 400).joined()) + Array(jpeg[next...])
        #expect(throws: ImageError.tooManyScans(limit: 100)) { try ImageDecoder.decode(hostile) }
        // The original, with its handful of scans, is fine.
        #expect(try ImageDecoder.decode(jpeg).width == 74)
    }

    @Test func configuredLimitsApplyToBothFormats() throws {
        let jpeg = try [UInt8](Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("jpeg_baseline.jpg")))
        let png = try [UInt8](Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("png_rgb8.png")))
        let narrow = ImageLimits(maxPixels: 1_000_000, maxSide: 50)
        #expect(throws: ImageError.tooLarge(width: 74, height: 58, limits: narrow)) { try ImageDecoder.decode(jpeg, limits: narrow) }
        let few = ImageLimits(maxPixels: 1000, maxSide: 1000)
        #expect(throws: ImageError.tooLarge(width: 37, height: 29, limits: few)) { try ImageDecoder.decode(png, limits: few) }
        do {
            _ = try ImageDecoder.decode(png, limits: few)
        } catch {
            #expect(error.isTooLarge)
            #expect(error.description.contains("37x29"))
        }
        // Within the limits, raw buffers decode the same as arrays.
        let viaBuffer = try png.withUnsafeBytes { try ImageDecoder.decode(buffer: $0) }
        #expect(viaBuffer == (try ImageDecoder.decode(png)))
    }

    /// As Pillow: a PNG without IEND has all its pixels; a JPEG without EOI is truncated.
    @Test func missingEndMarkers() throws {
        let png = try [UInt8](Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("png_rgb8.png")))
        #expect(try ImageDecoder.decode(Array(png.dropLast(12))) == (try ImageDecoder.decode(png)))
        #expect(throws: ImageError.self) { try ImageDecoder.decode(Array(png.dropLast(13))) }
        let jpeg = try [UInt8](Data(contentsOf: ReferenceTools.fixtures.appendingPathComponent("jpeg_baseline.jpg")))
        #expect(throws: ImageError.self) { try ImageDecoder.decode(Array(jpeg.dropLast(2))) }
    }

    @Test func emptyAndTinyInputs() {
        for bytes: [UInt8] in [[], [0xFF], [0xFF, 0xD8], [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47], Array("GIF89a".utf8)] {
            #expect(throws: ImageError.self) { try ImageDecoder.decode(bytes) }
        }
        #expect(throws: ImageError.notAnImage) { try ImageDecoder.decode(Array("<html>".utf8)) }
    }
}

/// Offset of the first JPEG marker FF `code`.
func markerOffset(_ data: [UInt8], _ code: UInt8) -> Int? {
    var i = 2
    while i + 4 <= data.count {
        guard data[i] == 0xFF else { return nil }
        if data[i + 1] == code { return i }
        let length = Int(data[i + 2]) << 8 | Int(data[i + 3])
        i += 2 + length
    }
    return nil
}

/// The next marker after entropy-coded data (skipping stuffed FF 00 and restart markers).
func nextMarker(_ data: [UInt8], after start: Int) -> Int? {
    let length = Int(data[start]) << 8 | Int(data[start + 1])
    var i = start + length
    while i + 1 < data.count {
        if data[i] == 0xFF, data[i + 1] != 0, !(0xD0...0xD7).contains(data[i + 1]) { return i }
        i += 1
    }
    return nil
}
