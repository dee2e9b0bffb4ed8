// Where the JSON reader gets its bytes: a file read in large blocks, gzip inflated on the
// fly, or bytes already in memory. Files are never read whole, so memory stays bounded.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A producer of bytes, read front to back once.
public protocol ByteSource: AnyObject {
    /// Fills up to `capacity` bytes at `buffer`; returns how many were written, 0 at the end.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int
}

/// Why bytes could not be read.
public enum ByteSourceError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case corruptGzip(reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
        case .readFailed(let path, let reason): return "cannot read \(path): \(reason)"
        case .corruptGzip(let reason): return "corrupt gzip data: \(reason)"
        }
    }
}

/// A file read with plain `read(2)` calls into the caller's buffer.
public final class FileByteSource: ByteSource {
    public let path: String
    private var descriptor: Int32

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ByteSourceError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        descriptor = fd
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer, capacity)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ByteSourceError.readFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// Bytes held in memory (tests, request bodies).
public final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    /// At most this many bytes per read, so tests can force every token across a refill.
    private let chunk: Int

    public init(_ bytes: [UInt8], chunk: Int = .max) {
        self.bytes = bytes
        self.chunk = max(1, chunk)
    }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        let count = min(capacity, chunk, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { source in
            buffer.update(from: source.baseAddress! + offset, count: count)
        }
        offset += count
        return count
    }
}

/// Opens a file for reading, inflating it when it starts with the gzip magic bytes
/// (whatever its name), so `.json` and `.json.gz` submissions read the same way.
public func openByteSource(path: String) throws -> ByteSource {
    let file = try FileByteSource(path: path)
    var magic: [UInt8] = [0, 0]
    let count = try magic.withUnsafeMutableBufferPointer { try file.read(into: $0.baseAddress!, capacity: 2) }
    let prefix = Array(magic.prefix(count))
    let whole = PrefixedByteSource(prefix: prefix, upstream: file)
    if prefix == [0x1F, 0x8B] {
        // Inflation is as costly as parsing: on its own thread the two overlap.
        return PrefetchingByteSource(upstream: try GzipByteSource(upstream: whole))
    }
    return whole
}

/// Hands back bytes already consumed while sniffing the format, then the rest.
final class PrefixedByteSource: ByteSource {
    private var prefix: [UInt8]
    private let upstream: ByteSource

    init(prefix: [UInt8], upstream: ByteSource) {
        self.prefix = prefix
        self.upstream = upstream
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        if !prefix.isEmpty {
            let count = min(capacity, prefix.count)
            prefix.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: count) }
            prefix.removeFirst(count)
            return count
        }
        return try upstream.read(into: buffer, capacity: capacity)
    }
}
