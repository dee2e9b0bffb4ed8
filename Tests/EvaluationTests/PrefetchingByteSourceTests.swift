// The background reader: the same bytes in the same order whatever the block and read
// sizes, upstream errors passed on, and a reader dropped half-way releases its thread.
import Foundation
import Testing
@testable import Evaluation

@Suite struct PrefetchingByteSourceTests {
    let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }

    @Test func sameBytesWhateverTheSizes() throws {
        for (block, blocks, chunk, capacity) in [(1 << 16, 4, Int.max, 1 << 20), (7, 2, 3, 5), (1000, 3, 999, 1), (1, 2, 1, 64)] {
            // Tiny blocks hand over one lock round trip per byte or two: fewer bytes there.
            let data = block < 10 ? Array(bytes.prefix(20_000)) : bytes
            let source = PrefetchingByteSource(upstream: MemoryByteSource(data, chunk: chunk), blockSize: block, blocks: blocks)
            #expect(try drain(source, capacity: capacity) == data, "block \(block) chunk \(chunk) capacity \(capacity)")
            #expect(try drain(source, capacity: 10).isEmpty, "stays at the end")
        }
    }

    final class FailingSource: ByteSource {
        var reads = 0
        func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
            reads += 1
            if reads > 3 { throw ByteSourceError.readFailed(path: "upstream", reason: "disk on fire") }
            buffer.update(repeating: 1, count: capacity)
            return capacity
        }
    }

    @Test func upstreamErrorsArePassedOnAfterTheGoodBytes() {
        let source = PrefetchingByteSource(upstream: FailingSource(), blockSize: 100, blocks: 2)
        var received = 0
        #expect(throws: ByteSourceError.readFailed(path: "upstream", reason: "disk on fire")) {
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
            defer { buffer.deallocate() }
            while true {
                let count = try source.read(into: buffer, capacity: 64)
                if count == 0 { break }
                received += count
            }
        }
        #expect(received == 300)
    }

    @Test func droppingTheReaderEarlyDoesNotHang() throws {
        for _ in 0..<50 {
            let source = PrefetchingByteSource(upstream: MemoryByteSource(bytes, chunk: 100), blockSize: 100, blocks: 2)
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 10)
            defer { buffer.deallocate() }
            #expect(try source.read(into: buffer, capacity: 10) == 10)
        }
    }

    @Test func gzipFilesGoThroughTheBackgroundReader() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.json.gz").path
        try Data(Gzip.compress(bytes)).write(to: URL(fileURLWithPath: path))
        let source = try openByteSource(path: path)
        #expect(source is PrefetchingByteSource)
        #expect(try drain(source, capacity: 4096) == bytes)
    }
}
