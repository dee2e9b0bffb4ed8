// gzip (and zlib) streams inflated block by block through zlib, concatenated members
// included, so a compressed submission never exists uncompressed in memory.
import CZlib

public final class GzipByteSource: ByteSource {
    private let upstream: ByteSource
    private var stream = z_stream()
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 18
    private var upstreamEnded = false
    private var memberEnded = false
    private var sawData = false

    public init(upstream: ByteSource) throws {
        self.upstream = upstream
        input = .allocate(capacity: inputCapacity)
        // 15 + 32: the largest window, with gzip or zlib headers detected automatically.
        let status = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            throw ByteSourceError.corruptGzip(reason: "inflateInit2 failed (\(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    private func refillInput() throws {
        let count = try upstream.read(into: input, capacity: inputCapacity)
        if count == 0 { upstreamEnded = true }
        stream.next_in = input
        stream.avail_in = uInt(count)
    }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        stream.next_out = buffer
        stream.avail_out = uInt(min(capacity, Int(UInt32.max)))
        let wanted = Int(stream.avail_out)
        while stream.avail_out == uInt(wanted) {
            if stream.avail_in == 0 && !upstreamEnded { try refillInput() }
            if memberEnded {
                // Another gzip member may follow (as `cat a.gz b.gz` produces).
                if stream.avail_in == 0 && upstreamEnded { return 0 }
                inflateReset(&stream)
                memberEnded = false
            }
            if stream.avail_in == 0 && upstreamEnded {
                throw ByteSourceError.corruptGzip(reason: sawData
                    ? "the stream ends before its last block" : "no gzip data")
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                sawData = true
            case Z_STREAM_END:
                sawData = true
                memberEnded = true
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw ByteSourceError.corruptGzip(reason: message)
            }
        }
        return wanted - Int(stream.avail_out)
    }
}
