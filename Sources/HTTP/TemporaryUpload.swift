// The temporary file of one streamed request body: written in large blocks as the body
// arrives, hashed on the way, synced before the handler sees it, and removed unless moved.
#if canImport(Glibc)
import Glibc
#endif

/// Owned by one connection while the body arrives, then by the job that runs the handler:
/// never used from two threads at once. Releasing it removes what is left of the file, so
/// an upload abandoned on any path (client gone, timeout, bad framing, shutdown) leaves
/// nothing behind.
final class TemporaryUpload: @unchecked Sendable {
    let path: String
    private var fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var size = 0
    private let digest: SHA256Stream
    /// Set once the last byte is written.
    private(set) var file: UploadedFile?

    /// Bytes gathered before one write(2): few system calls, bounded memory per upload.
    static let blockBytes = 1 << 20

    /// Creates the file in `directory` (and the directory if missing). A known body length
    /// smaller than a block sizes the buffer.
    init(directory: String, expectedBytes: Int?) throws(UploadError) {
        digest = try SHA256Stream()
        try Self.makeDirectory(directory)
        var opened: (fd: Int32, path: String)?
        for _ in 0..<8 where opened == nil {
            let candidate = directory + "/.upload-" + String(UInt64.random(in: .min ... .max), radix: 16)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 {
                opened = (fd, candidate)
            } else if errno != EEXIST {
                throw UploadError(.create, code: errno)
            }
        }
        guard let opened else { throw UploadError(.create, code: EEXIST) }
        (fd, path) = opened
        let capacity = min(Self.blockBytes, max(expectedBytes ?? Self.blockBytes, 1))
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        if fd >= 0 { close(fd) }
        unlink(path)
        buffer.deallocate()
    }

    /// Appends body bytes; the file is written each time the buffer fills.
    func write(_ bytes: UnsafeRawBufferPointer) throws(UploadError) {
        var offset = 0
        while offset < bytes.count {
            let take = min(buffer.count - buffered, bytes.count - offset)
            UnsafeMutableRawBufferPointer(rebasing: buffer[buffered..<(buffered + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            buffered += take
            offset += take
            if buffered == buffer.count { try flush() }
        }
    }

    /// The body is complete: writes the rest and fixes size and digest (`file`). The sync is
    /// left to `sync()`, off the event loop: flushing a gigabyte to disk takes seconds.
    func finishWriting() throws(UploadError) {
        try flush()
        file = UploadedFile(path: path, size: size, sha256: try digest.finish())
    }

    /// fsync and close: the body is on disk before the handler sees it.
    func sync() throws(UploadError) {
        defer {
            close(fd)
            fd = -1
        }
        guard fsync(fd) == 0 else { throw UploadError(.sync, code: errno) }
    }

    /// Removes the file unless the handler moved it away.
    func remove() { unlink(path) }

    /// mkdir -p: parents first; a directory that exists is fine.
    private static func makeDirectory(_ path: String) throws(UploadError) {
        if mkdir(path, 0o700) == 0 { return }
        let failure = errno
        if failure == EEXIST { return }
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        guard failure == ENOENT, !parent.isEmpty else { throw UploadError(.create, code: failure) }
        try makeDirectory(parent)
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw UploadError(.create, code: errno) }
    }

    private func flush() throws(UploadError) {
        let block = UnsafeRawBufferPointer(rebasing: buffer[0..<buffered])
        try digest.update(block)
        var offset = 0
        while offset < block.count {
            let written = Glibc.write(fd, block.baseAddress! + offset, block.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw UploadError(.write, code: errno)
            }
            offset += written
        }
        size += buffered
        buffered = 0
    }
}
