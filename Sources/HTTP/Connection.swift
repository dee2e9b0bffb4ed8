// One client connection: a non-blocking socket whose readiness its event loop reports, handled
// on the loop's queue. Requests are parsed as bytes arrive and answered strictly in order.
import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

final class Connection: @unchecked Sendable {
    enum Phase {
        case open
        /// The response being written is the last one; then `lingering`.
        case closingAfterWrite
        /// Write side shut down; unread request bytes are drained until EOF or the deadline.
        case lingering
        case closed
    }

    enum DeadlineKind {
        case none, head, body, keepAlive, write, linger
    }

    enum Pending {
        case request(ParsedRequest)
        case failure(ParseError)
        case reject(Response)
    }

    let fd: Int32
    let loop: EventLoop
    let context: ServerContext
    private var parser: RequestParser
    private var events: [RequestParser.Event] = []
    private var pending: [Pending] = []
    private var inFlight = false
    private var streaming = false
    private var phase = Phase.open
    private var out: [UInt8] = []
    private var outOffset = 0
    /// What the loop's epoll set waits for on this socket.
    private var readSuspended = false
    private var wantsWrite = false
    private var peerClosed = false
    private var continueOwed = false
    private var requestsServed = 0
    /// Monotonic nanoseconds after which `expire()` runs; 0 for none. Read by the sweep.
    private(set) var deadline: UInt64 = 0
    private var deadlineKind = DeadlineKind.none

    init(fd: Int32, loop: EventLoop, context: ServerContext) {
        self.fd = fd
        self.loop = loop
        self.context = context
        self.parser = RequestParser(limits: context.configuration.limits)
        out.reserveCapacity(4096)
    }

    /// Runs on the loop's queue. `reject` answers once (503 over the connection cap) and closes.
    func start(reject: Response? = nil) {
        loop.register(self)
        if let reject {
            pending.append(.reject(reject))
            processNext()
            flush(progress: false)
        }
        updateDeadline(progress: false)
    }

    // MARK: reading

    func onReadable() {
        guard phase != .closed else { return }
        let buffer = loop.readBuffer
        let count = read(fd, buffer.baseAddress, buffer.count)
        if count > 0 {
            guard phase == .open, !parser.hasFailed, !peerClosed else { return }  // draining unread bytes
            consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        } else if count == 0 {
            onPeerClosed()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            close()
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer) {
        events.removeAll(keepingCapacity: true)
        var failure: ParseError?
        do {
            try parser.feed(bytes, into: &events)
        } catch {
            failure = error
        }
        for event in events {
            switch event {
            case .head(let head):
                if head.expectsContinue {
                    if !inFlight && pending.isEmpty && outOffset == out.count && parser.bodyBytesReceived == 0 && parser.isReadingBody {
                        out.append(contentsOf: ResponseWriter.continueLine)
                    } else {
                        continueOwed = parser.isReadingBody
                    }
                }
            case .request(let request):
                continueOwed = false
                pending.append(.request(request))
            }
        }
        if let failure { pending.append(.failure(failure)) }
        processNext()
        if phase == .open && pending.count >= context.configuration.limits.maxPipelinedRequests { suspendRead() }
        if phase != .closed { flush(progress: false) }
        updateDeadline(progress: true)
    }

    private func onPeerClosed() {
        peerClosed = true
        suspendRead()  // EOF stays readable: stop the source from firing again
        switch phase {
        case .lingering, .closed:
            close()
        case .open, .closingAfterWrite:
            parser.stop()
            if !inFlight && !streaming && pending.isEmpty && outOffset == out.count { close() }
        }
    }

    private func suspendRead() {
        guard !readSuspended, phase != .closed else { return }
        readSuspended = true
        loop.watch(self, read: false, write: wantsWrite)
    }

    private func resumeRead() {
        guard readSuspended, !peerClosed, phase != .closed else { return }
        readSuspended = false
        loop.watch(self, read: true, write: wantsWrite)
    }

    // MARK: answering

    private func processNext() {
        while phase == .open && !inFlight && !streaming && !pending.isEmpty {
            let item = pending.removeFirst()
            switch item {
            case .request(let request): dispatch(request)
            case .failure(let error):
                respondAndClose(Response.error(error.status, code: error.code, message: error.message))
            case .reject(let response):
                respondAndClose(response)
            }
        }
        if phase == .open && !inFlight && !streaming && pending.isEmpty && continueOwed && parser.isReadingBody
            && parser.bodyBytesReceived == 0 {
            continueOwed = false
            out.append(contentsOf: ResponseWriter.continueLine)
        }
        if readSuspended && phase == .open && pending.count < context.configuration.limits.maxPipelinedRequests {
            resumeRead()
        }
    }

    private func dispatch(_ parsed: ParsedRequest) {
        let start = ContinuousClock.now
        let head = parsed.head
        let requestId = context.requestIds.id(for: head.headers)
        context.metrics.inFlight.increment()
        let match: Router.Match
        do {
            match = try context.router.match(method: head.method, path: head.path)
        } catch {
            finish(error.response, head: head, requestId: requestId, route: "(invalid)", start: start)
            return
        }
        switch match {
        case .notFound:
            finish(Response.error(.notFound, code: "not-found", message: "no route for \(head.path)"),
                   head: head, requestId: requestId, route: "(unmatched)", start: start)
        case .methodNotAllowed(let allowed):
            finish(Response.error(.methodNotAllowed, code: "method-not-allowed",
                                  message: "\(head.method) is not allowed here; use \(allowed.joined(separator: ", "))",
                                  headers: Headers([("Allow", allowed.joined(separator: ", "))])),
                   head: head, requestId: requestId, route: "(unmatched)", start: start)
        case .found(let route, let parameters):
            if route.requiresBody && head.framing == .none {
                finish(Response.error(.lengthRequired, code: "length-required",
                                      message: "send the body with Content-Length or Transfer-Encoding: chunked"),
                       head: head, requestId: requestId, route: route.template, start: start)
                return
            }
            let query: QueryParameters
            do {
                query = try QueryParameters(parsing: head.query)
            } catch {
                finish(error.response, head: head, requestId: requestId, route: route.template, start: start)
                return
            }
            let request = Request(head: head, body: parsed.body, trailers: parsed.trailers, pathParameters: parameters,
                                  query: query, requestId: requestId, routeTemplate: route.template)
            switch route.execution {
            case .inline:
                finish(Self.run(route.handler, request), head: head, requestId: requestId, route: route.template, start: start)
            case .executor:
                inFlight = true
                let handler = route.handler
                let template = route.template
                let accepted = context.executor.trySubmit { [self] in
                    let response = Self.run(handler, request)
                    loop.queue.async { [self] in
                        inFlight = false
                        finish(response, head: head, requestId: requestId, route: template, start: start)
                        processNext()
                        if phase != .closed { flush(progress: false) }
                    }
                }
                if !accepted {
                    inFlight = false
                    let seconds = context.configuration.retryAfterSeconds
                    finish(Response.error(.serviceUnavailable, code: "overloaded",
                                          message: "all workers are busy; retry in \(seconds) s",
                                          headers: Headers([("Retry-After", String(seconds))])),
                           head: head, requestId: requestId, route: template, start: start)
                }
            }
        }
    }

    static func run(_ handler: Handler, _ request: Request) -> Response {
        do {
            return try handler(request)
        } catch let error as HTTPError {
            return error.response
        } catch {
            return Response.error(.internalServerError, code: "internal", message: "internal error: \(error)")
        }
    }

    /// Queues the response of `head`; runs on the loop's queue.
    private func finish(_ response: Response, head: RequestHead, requestId: String, route: String, start: ContinuousClock.Instant) {
        context.metrics.inFlight.decrement()
        requestsServed += 1
        guard phase == .open else { return }
        var keepAlive = head.keepAlive && !context.isDraining && !peerClosed
        var headers = response.headers
        if let connection = headers["Connection"] {
            if connection.lowercased().contains("close") { keepAlive = false }
            headers.remove("Connection")
        }
        let omitBody = head.method == "HEAD" || response.status.forbidsBody
        let before = out.count
        var bodyBytes = 0
        switch response.body {
        case .bytes(let bytes):
            ResponseWriter.appendHead(to: &out, status: response.status, headers: headers, contentLength: bytes.count,
                                      keepAlive: keepAlive, requestId: requestId)
            if !omitBody { out.append(contentsOf: bytes) }
            bodyBytes = omitBody ? 0 : bytes.count
        case .stream(let producer):
            // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
            let chunked = head.version == .http11
            if !chunked { keepAlive = false }
            ResponseWriter.appendHead(to: &out, status: response.status, headers: headers, contentLength: nil, chunked: chunked,
                                      keepAlive: keepAlive, requestId: requestId)
            if !omitBody { startStream(producer, chunked: chunked) }
        }
        if !keepAlive {
            phase = .closingAfterWrite
            parser.stop()
        }
        let duration = ContinuousClock.now - start
        context.metrics.record(route: route, method: head.method, status: response.status.code, duration: duration)
        if context.configuration.accessLog {
            context.logger.info("\(head.method) \(head.path) \(response.status.code)", metadata: [
                "request_id": .string(requestId), "method": .string(head.method), "route": .string(route),
                "status": .stringConvertible(response.status.code), "bytes": .stringConvertible(bodyBytes),
                "head_bytes": .stringConvertible(out.count - before - bodyBytes),
                "duration_ms": .string(String(format: "%.3f", Double(duration.components.attoseconds) / 1e15
                    + Double(duration.components.seconds) * 1000)),
            ])
        }
    }

    private func startStream(_ producer: @escaping @Sendable (ChunkWriter) throws -> Void, chunked: Bool) {
        streaming = true
        let writer = ChunkWriter { [self] bytes in
            loop.queue.async { [self] in
                guard phase != .closed else { return }
                if chunked { ResponseWriter.appendChunk(to: &out, bytes) } else { out.append(contentsOf: bytes) }
                flush(progress: false)
            }
        }
        let accepted = context.executor.trySubmit { [self] in
            do { try producer(writer) } catch { context.logger.warning("stream producer failed: \(error)") }
            loop.queue.async { [self] in
                guard phase != .closed else { return }
                if chunked { ResponseWriter.appendLastChunk(to: &out) }
                streaming = false
                processNext()
                flush(progress: false)
            }
        }
        if !accepted {
            // The head is already queued: all that is left is ending the body early.
            if chunked { ResponseWriter.appendLastChunk(to: &out) }
            streaming = false
        }
    }

    private func respondAndClose(_ response: Response) {
        phase = .closingAfterWrite
        parser.stop()
        if case .bytes(let bytes) = response.body {
            ResponseWriter.appendHead(to: &out, status: response.status, headers: response.headers,
                                      contentLength: bytes.count, keepAlive: false, requestId: nil)
            out.append(contentsOf: bytes)
        }
        if context.configuration.accessLog {
            context.logger.info("rejected: \(response.status.code)", metadata: ["status": .stringConvertible(response.status.code)])
        }
    }

    // MARK: writing

    private func flush(progress: Bool) {
        var progress = progress
        while outOffset < out.count {
            let written = out.withUnsafeBytes { bytes in
                write(fd, bytes.baseAddress! + outOffset, bytes.count - outOffset)
            }
            if written > 0 {
                outOffset += written
                progress = true
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                enableWriteSource()
                updateDeadline(progress: progress)
                return
            } else {
                close()
                return
            }
        }
        if out.capacity > 1 << 20 { out = [] } else { out.removeAll(keepingCapacity: true) }
        outOffset = 0
        disableWriteSource()
        if inFlight || streaming {
            updateDeadline(progress: progress)
            return
        }
        if phase == .closingAfterWrite {
            startLinger()
        } else if peerClosed && pending.isEmpty {
            close()
        } else {
            updateDeadline(progress: progress)
        }
    }

    func onWritable() {
        guard phase != .closed else { return }
        flush(progress: false)
    }

    private func enableWriteSource() {
        guard !wantsWrite, phase != .closed else { return }
        wantsWrite = true
        loop.watch(self, read: !readSuspended, write: true)
    }

    private func disableWriteSource() {
        guard wantsWrite, phase != .closed else { return }
        wantsWrite = false
        loop.watch(self, read: !readSuspended, write: false)
    }

    // MARK: closing and deadlines

    private func startLinger() {
        phase = .lingering
        shutdown(fd, Int32(SHUT_WR))
        if peerClosed {
            close()
            return
        }
        resumeRead()
        deadlineKind = .linger
        deadline = DispatchTime.now().uptimeNanoseconds + Self.nanoseconds(context.configuration.timeouts.linger)
    }

    /// The sweep found the deadline passed.
    func expire() {
        switch deadlineKind {
        case .head, .body:
            if phase == .open && !inFlight && !streaming && pending.isEmpty && outOffset == out.count && !parser.isBetweenRequests {
                parser.stop()
                let what = deadlineKind == .head ? "request head" : "request body"
                pending.append(.failure(ParseError(.requestTimeout, "timeout", "the \(what) did not arrive in time")))
                processNext()
                flush(progress: false)
                if deadlineKind == .head || deadlineKind == .body { deadline = 0 }
            } else {
                close()
            }
        case .none:
            deadline = 0
        case .keepAlive, .write, .linger:
            close()
        }
    }

    /// Server shutdown: close now when idle, otherwise after the current answer.
    func drain() {
        if phase == .open && !inFlight && !streaming && pending.isEmpty && outOffset == out.count && parser.isBetweenRequests {
            close()
        }
    }

    private func updateDeadline(progress: Bool) {
        guard phase != .closed, phase != .lingering else { return }
        let timeouts = context.configuration.timeouts
        let now = DispatchTime.now().uptimeNanoseconds
        func set(_ kind: DeadlineKind, _ seconds: Double, reset: Bool) {
            if deadlineKind != kind || reset || deadline == 0 {
                deadlineKind = kind
                deadline = now + Self.nanoseconds(seconds)
            }
        }
        if outOffset < out.count {
            set(.write, timeouts.write, reset: progress)
        } else if inFlight || streaming || !pending.isEmpty {
            deadlineKind = .none
            deadline = 0
        } else if parser.isReadingBody {
            set(.body, timeouts.bodyIdle, reset: progress)
        } else if !parser.isBetweenRequests || requestsServed == 0 {
            set(.head, timeouts.head, reset: false)
        } else {
            set(.keepAlive, timeouts.keepAliveIdle, reset: false)
        }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1_000_000_000) }

    func close() {
        guard phase != .closed else { return }
        phase = .closed
        parser.stop()
        deadline = 0
        loop.unregister(self)
        Glibc.close(fd)
        context.connectionClosed()
        pending.removeAll()
        out = []
    }
}
