// The incremental HTTP/1.1 request parser (RFC 9112): one explicit state machine for the
// head and the body framing. Bytes may arrive in any split; the result is the same.

public struct RequestParser: Sendable {
    public enum Event: Sendable {
        /// The head passed every framing check; its body (if any) follows.
        case head(RequestHead)
        /// Body bytes of a streamed body (`BodyPlan.stream`), chunk framing removed: these
        /// indices of the buffer being parsed. Never reported for bodies kept in memory.
        case body(Range<Int>)
        /// A whole request: head, body without framing (empty when streamed), trailer fields.
        case request(ParsedRequest)
    }

    /// How the body of the request whose head was just parsed is taken.
    public enum BodyPlan: Sendable, Equatable {
        /// Kept in memory and handed over with the `.request` event; 413 beyond `limit` bytes.
        case buffer(limit: Int)
        /// Reported piece by piece as `.body` events and never kept; 413 beyond `limit` bytes.
        case stream(limit: Int)
    }

    enum LineKind: Equatable {
        case requestLine
        case field
        case chunkSize
        case trailer
    }

    enum State: Equatable {
        /// Collecting a CRLF-terminated line; `sawCR` when the last byte was CR.
        case line(LineKind, sawCR: Bool)
        /// A head whose body follows was parsed: nothing more is parsed until `takeBody` says
        /// how the body is taken. `contentLength` is nil for a chunked body.
        case awaitingBodyPlan(contentLength: Int?)
        case fixedBody(remaining: Int)
        case chunkData(remaining: Int)
        /// After a chunk's data: CR then LF must follow.
        case chunkDataEnd(sawCR: Bool)
        /// After a request that closes the connection: later bytes are not parsed.
        case stopped
        case failed(ParseError)
    }

    public let limits: Limits
    private(set) var state: State = .line(.requestLine, sawCR: false)
    private var line: [UInt8] = []
    private var head = HeadBuilder()
    private var parsedHead: RequestHead?
    private var body: [UInt8] = []
    /// Body bytes of the current request so far, kept or streamed.
    private var bodyCount = 0
    private var bodyLimit = 0
    private var streamsBody = false
    private var trailers = Headers()
    private var emptyLinesBeforeRequest = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
        line.reserveCapacity(256)
    }

    /// True between requests when no byte of the next one has arrived.
    public var isBetweenRequests: Bool {
        state == .line(.requestLine, sawCR: false) && line.isEmpty && emptyLinesBeforeRequest == 0
    }

    /// True while a request body is being received.
    public var isReadingBody: Bool {
        switch state {
        case .awaitingBodyPlan, .fixedBody, .chunkData, .chunkDataEnd: true
        case .line(.chunkSize, _), .line(.trailer, _): true
        default: false
        }
    }

    /// True once a framing error was found: nothing more will be parsed.
    public var hasFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    /// Body bytes received so far for the current request.
    public var bodyBytesReceived: Int { bodyCount }

    /// Stops parsing: bytes fed later are ignored (the connection is closing).
    public mutating func stop() { state = .stopped }

    /// Feeds bytes; appends what they complete to `events`. Every body is kept in memory, up to
    /// `limits.maxBodyBytes`. After an error every later call throws the same error.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into events: inout [Event]) throws(ParseError) {
        var index = 0
        repeat {
            index = try parse(bytes, from: index, into: &events)
            try takeBody(.buffer(limit: limits.maxBodyBytes))
        } while index < bytes.count
    }

    /// Parses `bytes` from `start` on, appending what they complete to `events`, and returns
    /// where it stopped: at the end, or just after a head whose body follows. There it waits
    /// for `takeBody`, so the caller can route the head before a byte of its body is parsed.
    /// Ranges in `.body` events index `bytes`. After an error every later call throws it again.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer, from start: Int,
                               into events: inout [Event]) throws(ParseError) -> Int {
        var index = start
        let count = bytes.count
        outer: while index < count {
            switch state {
            case .stopped:
                return count
            case .failed(let error):
                throw error
            case .awaitingBodyPlan:
                return index
            case .line(let kind, var sawCR):
                // Inner loop: stay in this line until it ends, without re-dispatching per byte.
                while index < count {
                    let byte = bytes[index]
                    index += 1
                    if sawCR {
                        guard byte == ASCII.lf else { throw fail(.bad("bare-cr", "CR not followed by LF (RFC 9112 §2.2)")) }
                        state = .line(kind, sawCR: false)
                        try completeLine(kind, into: &events)
                        continue outer
                    } else if byte == ASCII.cr {
                        sawCR = true
                    } else if byte == ASCII.lf {
                        throw fail(.bad("bare-lf", "line ends in LF without CR (RFC 9112 §2.2)"))
                    } else {
                        line.append(byte)
                        try checkLineLength(kind)
                    }
                }
                state = .line(kind, sawCR: sawCR)
            case .fixedBody(let remaining):
                let take = min(remaining, count - index)
                takeBodyBytes(bytes, index..<(index + take), into: &events)
                index += take
                if take == remaining {
                    finishRequest(into: &events)
                } else {
                    state = .fixedBody(remaining: remaining - take)
                }
            case .chunkData(let remaining):
                let take = min(remaining, count - index)
                takeBodyBytes(bytes, index..<(index + take), into: &events)
                index += take
                state = take == remaining ? .chunkDataEnd(sawCR: false) : .chunkData(remaining: remaining - take)
            case .chunkDataEnd(let sawCR):
                let byte = bytes[index]
                index += 1
                if !sawCR && byte == ASCII.cr {
                    state = .chunkDataEnd(sawCR: true)
                } else if sawCR && byte == ASCII.lf {
                    state = .line(.chunkSize, sawCR: false)
                } else {
                    throw fail(.bad("chunk-data-unterminated", "chunk data not followed by CRLF (RFC 9112 §7.1)"))
                }
            }
        }
        return count
    }

    /// Says how the body of the head just parsed is taken; does nothing unless `parse` stopped
    /// after such a head. A Content-Length over the plan's limit fails here, before the body.
    public mutating func takeBody(_ plan: BodyPlan) throws(ParseError) {
        guard case .awaitingBodyPlan(let contentLength) = state else { return }
        switch plan {
        case .buffer(let limit): (streamsBody, bodyLimit) = (false, limit)
        case .stream(let limit): (streamsBody, bodyLimit) = (true, limit)
        }
        guard let contentLength else {
            state = .line(.chunkSize, sawCR: false)
            return
        }
        if contentLength > bodyLimit {
            throw fail(ParseError(.contentTooLarge, "body-too-large",
                "request body of \(contentLength) bytes is larger than the limit of \(bodyLimit) bytes"))
        }
        if !streamsBody { body.reserveCapacity(min(contentLength, 1 << 20)) }
        state = .fixedBody(remaining: contentLength)
    }

    private mutating func takeBodyBytes(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, into events: inout [Event]) {
        bodyCount += range.count
        if streamsBody {
            events.append(.body(range))
        } else {
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
    }

    private mutating func fail(_ error: ParseError) -> ParseError {
        state = .failed(error)
        return error
    }

    private mutating func checkLineLength(_ kind: LineKind) throws(ParseError) {
        switch kind {
        case .requestLine:
            if line.count > limits.maxRequestLineBytes {
                throw fail(ParseError(.uriTooLong, "request-line-too-long",
                    "request line longer than \(limits.maxRequestLineBytes) bytes"))
            }
        case .field, .trailer:
            if head.headerBytes + line.count > limits.maxHeaderBytes {
                throw fail(ParseError(.headerFieldsTooLarge, "header-too-large",
                    "header section larger than \(limits.maxHeaderBytes) bytes"))
            }
        case .chunkSize:
            if line.count > limits.maxChunkLineBytes {
                throw fail(.bad("chunk-line-too-long", "chunk size line longer than \(limits.maxChunkLineBytes) bytes"))
            }
        }
    }

    private mutating func completeLine(_ kind: LineKind, into events: inout [Event]) throws(ParseError) {
        defer { line.removeAll(keepingCapacity: true) }
        do throws(ParseError) {
            switch kind {
            case .requestLine:
                if line.isEmpty {
                    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before
                    // the request line; a flood of them is not a request.
                    emptyLinesBeforeRequest += 1
                    if emptyLinesBeforeRequest > 8 { throw ParseError.bad("empty-lines", "too many empty lines before the request line") }
                    return
                }
                try head.setRequestLine(line)
                state = .line(.field, sawCR: false)
            case .field:
                if line.isEmpty {
                    try finishHead(into: &events)
                } else {
                    try head.addField(line, limits: limits)
                }
            case .chunkSize:
                let size = try ChunkLine.parseSize(line)
                // Subtracted, not added: a chunk size near Int.max must not overflow.
                if size > bodyLimit - bodyCount {
                    throw ParseError(.contentTooLarge, "body-too-large",
                        "request body larger than the limit of \(bodyLimit) bytes")
                }
                state = size == 0 ? .line(.trailer, sawCR: false) : .chunkData(remaining: size)
            case .trailer:
                if line.isEmpty {
                    finishRequest(into: &events)
                } else {
                    let (name, value) = try HeadBuilder.parseField(line)
                    head.headerBytes += line.count
                    head.fieldCount += 1
                    if head.fieldCount > limits.maxHeaderCount {
                        throw ParseError(.headerFieldsTooLarge, "too-many-headers",
                            "more than \(limits.maxHeaderCount) header fields")
                    }
                    trailers.add(name, value)
                }
            }
        } catch {
            throw fail(error)
        }
    }

    private mutating func finishHead(into events: inout [Event]) throws(ParseError) {
        let parsed = try head.build()
        parsedHead = parsed
        events.append(.head(parsed))
        switch parsed.framing {
        case .none, .length(0):
            finishRequest(into: &events)
        case .length(let length):
            state = .awaitingBodyPlan(contentLength: length)
        case .chunked:
            state = .awaitingBodyPlan(contentLength: nil)
        }
    }

    private mutating func finishRequest(into events: inout [Event]) {
        guard let parsedHead else { return }
        events.append(.request(ParsedRequest(head: parsedHead, body: body, trailers: trailers)))
        self.parsedHead = nil
        body = []
        bodyCount = 0
        trailers = Headers()
        head = HeadBuilder()
        emptyLinesBeforeRequest = 0
        state = parsedHead.keepAlive ? .line(.requestLine, sawCR: false) : .stopped
    }
}
