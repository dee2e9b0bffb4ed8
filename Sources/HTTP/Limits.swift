// Size limits the request parser and the multipart parser enforce; a value type with the
// defaults documented on each field, so a config file can override them one by one.

/// Sizes the server accepts from a client. Exceeding one is a typed parse error that maps
/// to the status RFC 9110 names for it (414, 431, 413) and closes the connection.
public struct Limits: Sendable, Equatable {
    /// Longest request line (method, target, version), in bytes. Default 8 KiB; over it: 414.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// All header field lines of one request (or trailer section) together, in bytes.
    /// Default 32 KiB; over it: 431.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Number of header field lines in one request. Default 100; over it: 431.
    public var maxHeaderCount: Int = 100
    /// Request body kept in memory, after removing chunked framing. Default 64 MiB; over it:
    /// 413. Streaming routes (`Router.addStreaming`) have their own limit instead.
    public var maxBodyBytes: Int = 64 * 1024 * 1024
    /// One chunk-size line with its extensions. Default 4 KiB; over it: 400.
    public var maxChunkLineBytes: Int = 4 * 1024
    /// Requests parsed ahead of the one being answered (pipelining). Default 16; beyond it the
    /// server stops reading the connection until answers catch up.
    public var maxPipelinedRequests: Int = 16

    public init() {}

    public init(
        maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024,
        maxHeaderCount: Int = 100, maxBodyBytes: Int = 64 * 1024 * 1024,
        maxChunkLineBytes: Int = 4 * 1024, maxPipelinedRequests: Int = 16
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
        self.maxPipelinedRequests = maxPipelinedRequests
    }
}

/// Deadlines of a connection, in seconds. A client that misses one is disconnected; the
/// first two answer 408 before closing.
public struct Timeouts: Sendable, Equatable {
    /// From the first byte of a request head to its empty line. Default 10 s. Measured from
    /// the start, not reset per byte, so a client trickling headers cannot hold a slot.
    public var head: Double = 10
    /// Longest pause between two reads of a request body. Default 30 s.
    public var bodyIdle: Double = 30
    /// How long an idle persistent connection stays open between requests. Default 60 s.
    public var keepAliveIdle: Double = 60
    /// Longest pause in writing a response to a client that does not read. Default 30 s.
    public var write: Double = 30
    /// After a response with `Connection: close`, how long unread request bytes are
    /// drained before the socket closes (so the client sees the response, not a reset).
    /// Default 2 s.
    public var linger: Double = 2

    public init() {}

    public init(
        head: Double = 10, bodyIdle: Double = 30, keepAliveIdle: Double = 60,
        write: Double = 30, linger: Double = 2
    ) {
        self.head = head
        self.bodyIdle = bodyIdle
        self.keepAliveIdle = keepAliveIdle
        self.write = write
        self.linger = linger
    }
}
