// gzip-compressed input read through zlib: whole files, concatenated members, tiny reads,
// and corrupt data reported as an error rather than garbage.
import CZlib
import Foundation
import Testing
@testable import Evaluation

enum Gzip {
    /// Compresses with gzip framing (window bits 15 + 16).
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
        var input = bytes
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }
}

/// Reads a source to its end through a buffer of `capacity` bytes.
func drain(_ source: ByteSource, capacity: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    while true {
        let count = try source.read(into: buffer, capacity: capacity)
        if count == 0 { return result }
        result.append(contentsOf: UnsafeBufferPointer(start: buffer, count: count))
    }
}

@Suite struct GzipTests {
    let text = Array(String(repeating: #"{"pair": "person-0001", "x": 312.5}, "#, count: 5000).utf8)

    @Test func inflatesWholeAndInTinyReads() throws {
        let compressed = Gzip.compress(text)
        #expect(compressed.count < text.count / 10)
        for (chunk, capacity) in [(Int.max, 1 << 16), (3, 5), (1, 1)] {
            let source = try GzipByteSource(upstream: MemoryByteSource(compressed, chunk: chunk))
            #expect(try drain(source, capacity: capacity) == text)
        }
    }

    @Test func concatenatedMembersReadAsOne() throws {
        let source = try GzipByteSource(upstream: MemoryByteSource(Gzip.compress(Array(text.prefix(100))) + Gzip.compress(Array(text.dropFirst(100)))))
        #expect(try drain(source, capacity: 4096) == text)
    }

    @Test func truncatedAndCorruptDataAreErrors() throws {
        let compressed = Gzip.compress(text)
        #expect(throws: ByteSourceError.self) {
            _ = try drain(GzipByteSource(upstream: MemoryByteSource(Array(compressed.prefix(compressed.count / 2)))), capacity: 4096)
        }
        var corrupt = compressed
        for index in stride(from: 12, to: corrupt.count - 8, by: 7) { corrupt[index] ^= 0x5A }
        #expect(throws: ByteSourceError.self) { _ = try drain(GzipByteSource(upstream: MemoryByteSource(corrupt)), capacity: 4096) }
    }

    @Test func filesAreSniffedByContentNotName() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("a.json")
        let packed = folder.appendingPathComponent("a.json.gz")
        try Data(text).write(to: plain)
        try Data(Gzip.compress(text)).write(to: packed)
        #expect(try drain(openByteSource(path: plain.path), capacity: 1000) == text)
        #expect(try drain(openByteSource(path: packed.path), capacity: 1000) == text)
        #expect(throws: ByteSourceError.self) { _ = try openByteSource(path: folder.appendingPathComponent("missing.json").path) }
    }
}
