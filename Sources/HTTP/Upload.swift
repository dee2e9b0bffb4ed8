// What a streaming route is told about its body: where bodies go and how large they may be,
// and the complete file its handler receives.

/// Where a streaming route (`Router.addStreaming`) writes request bodies, and their limit.
public struct UploadPolicy: Sendable, Equatable {
    /// Directory of the temporary files, created if missing. On the filesystem the handler
    /// moves files to, a rename is atomic and copies nothing.
    public var directory: String
    /// Body bytes (after removing chunked framing) beyond which the request is answered 413.
    /// It replaces `Limits.maxBodyBytes` for the route.
    public var maxBodyBytes: Int

    public init(directory: String, maxBodyBytes: Int) {
        self.directory = directory
        self.maxBodyBytes = maxBodyBytes
    }
}

/// The body of a streaming route's request, complete and synced on disk.
public struct UploadedFile: Sendable, Equatable {
    /// A temporary file in the route's upload directory, mode 0600. The handler may rename
    /// it; whatever is left at this path when the handler returns is deleted.
    public let path: String
    /// Body bytes, after removing chunked framing.
    public let size: Int
    /// Lowercase hex SHA-256 of those bytes.
    public let sha256: String
}
