// How a connection answers: parsed requests in order, run inline or on the executor as their
// route says, then serialised with keep-alive decided, logged and counted.
import Foundation
import Logging

extension Connection {
    func processNext() {
        while phase == .open && !inFlight && !streaming && !pending.isEmpty {
            let item = pending.removeFirst()
            switch item {
            case .request(let request, let routing, let upload): dispatch(request, routing, upload)
            case .refusal(let routing, let response):
                context.metrics.requestStarted()
                finish(response, head: routing.head, requestId: routing.requestId, route: routing.template,
                       start: ContinuousClock.now)
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

    func dispatch(_ parsed: ParsedRequest, _ routing: Routing, _ upload: TemporaryUpload?) {
        let start = ContinuousClock.now
        let head = parsed.head
        let requestId = routing.requestId
        context.metrics.requestStarted()
        let match: Router.Match
        switch routing.match {
        case .success(let found):
            match = found
        case .failure(let error):
            finish(error.response, head: head, requestId: requestId, route: routing.template, start: start)
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
                                  query: query, requestId: requestId, routeTemplate: route.template, upload: upload?.file,
                                  clientAddress: clientAddress)
            if route.execution == .inline, case .immediate(let handler) = route.handler {
                finish(Self.run(handler, request), head: head, requestId: requestId, route: route.template, start: start)
            } else {
                answerOnExecutor(route, request, upload, head: head, requestId: requestId, start: start)
            }
        }
    }

    /// Runs the route's handler on the executor; its response, now or later through the
    /// `Responder`, is finished on the loop's queue. A streamed body's file goes with the job.
    private func answerOnExecutor(_ route: Route, _ request: Request, _ upload: TemporaryUpload?, head: RequestHead,
                                  requestId: String, start: ContinuousClock.Instant) {
        inFlight = true
        let template = route.template
        let responder = Responder(
            deliver: { [self] response in
                loop.queue.async { [self] in
                    inFlight = false
                    finish(response, head: head, requestId: requestId, route: template, start: start)
                    processNext()
                    if phase != .closed { flush(progress: false) }
                }
            },
            // Asked from other threads only (an inference worker), never from the loop.
            gone: { [self] in loop.queue.sync { isPeerGone() } })
        let handler = route.handler
        let accepted = context.executor.trySubmit {
            switch handler {
            case .immediate(let handler):
                responder.respond(upload.map { Self.run(handler, request, storedIn: $0) } ?? Self.run(handler, request))
            case .deferred(let handler):
                do {
                    try handler(request, responder)
                } catch {
                    responder.respond(Self.errorResponse(error))
                }
            }
        }
        if !accepted {
            inFlight = false
            finish(overloaded, head: head, requestId: requestId, route: template, start: start)
        }
    }

    /// The answer when the executor's queue is full.
    var overloaded: Response {
        let seconds = context.configuration.retryAfterSeconds
        return Response.error(.serviceUnavailable, code: "overloaded",
                              message: "all workers are busy; retry in \(seconds) s",
                              headers: Headers([("Retry-After", String(seconds))]))
    }

    static func run(_ handler: Handler, _ request: Request) -> Response {
        do {
            return try handler(request)
        } catch {
            return errorResponse(error)
        }
    }

    /// Syncs the body's file, runs the handler, then removes what it left at the file's path,
    /// before the response goes out: a client holding its answer finds no temporary file.
    static func run(_ handler: Handler, _ request: Request, storedIn upload: TemporaryUpload) -> Response {
        defer { upload.remove() }
        do {
            try upload.sync()
        } catch {
            return error.response
        }
        return run(handler, request)
    }

    static func errorResponse(_ error: any Error) -> Response {
        if let error = error as? HTTPError { return error.response }
        return Response.error(.internalServerError, code: "internal", message: "internal error: \(error)")
    }

    /// Queues the response of `head`; runs on the loop's queue.
    func finish(_ response: Response, head: RequestHead, requestId: String, route: String, start: ContinuousClock.Instant) {
        context.metrics.requestFinished()
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
        var status = response.status
        var body = response.body
        if case .stream(let producer) = body, !omitBody {
            // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
            let chunked = head.version == .http11
            if !chunked { keepAlive = false }
            // The producer is queued before the head is written; its chunks reach the
            // connection through this queue, so they always follow the head.
            if !startStream(producer, chunked: chunked) {
                let busy = overloaded
                (status, headers, body) = (busy.status, busy.headers, busy.body)
            }
        }
        switch body {
        case .bytes(let bytes):
            ResponseWriter.appendHead(to: &out, status: status, headers: headers, contentLength: bytes.count,
                                      keepAlive: keepAlive, requestId: requestId)
            if !omitBody { out.append(contentsOf: bytes) }
            bodyBytes = omitBody ? 0 : bytes.count
        case .stream:
            ResponseWriter.appendHead(to: &out, status: status, headers: headers, contentLength: nil,
                                      chunked: head.version == .http11, keepAlive: keepAlive, requestId: requestId)
        }
        if !keepAlive {
            phase = .closingAfterWrite
            stopParsing()
        }
        let duration = ContinuousClock.now - start
        context.metrics.record(route: route, method: head.method, status: status.code, duration: duration)
        if context.configuration.accessLog {
            context.logger.info("\(head.method) \(head.path) \(status.code)", metadata: [
                "request_id": .string(requestId), "method": .string(head.method), "route": .string(route),
                "status": .stringConvertible(status.code), "bytes": .stringConvertible(bodyBytes),
                "head_bytes": .stringConvertible(out.count - before - bodyBytes),
                "duration_ms": .string(String(format: "%.3f", Double(duration.components.attoseconds) / 1e15
                    + Double(duration.components.seconds) * 1000)),
            ])
        }
    }

    /// Unwritten bytes a streamed body may have queued before its producer waits.
    static let streamBufferLimit = 1 << 20

    /// Queues the producer on the executor; false (nothing started) when no worker can take it.
    func startStream(_ producer: @escaping @Sendable (ChunkWriter) throws -> Void, chunked: Bool) -> Bool {
        streaming = true
        streamBytesUnreleased = 0
        let gate = StreamGate(limit: Self.streamBufferLimit)
        streamGate = gate
        let writer = ChunkWriter { [self] bytes in
            guard gate.admit(bytes.count) else { return }
            loop.queue.async { [self] in
                guard phase != .closed else { return }
                if chunked { ResponseWriter.appendChunk(to: &out, bytes) } else { out.append(contentsOf: bytes) }
                streamBytesUnreleased += bytes.count
                flush(progress: false)
            }
        }
        let accepted = context.executor.trySubmit { [self] in
            do { try producer(writer) } catch { context.logger.warning("stream producer failed: \(error)") }
            loop.queue.async { [self] in
                guard phase != .closed else { return }
                if chunked { ResponseWriter.appendLastChunk(to: &out) }
                streaming = false
                streamGate = nil
                processNext()
                flush(progress: false)
            }
        }
        if !accepted {
            streaming = false
            streamGate = nil
        }
        return accepted
    }

    func respondAndClose(_ response: Response) {
        phase = .closingAfterWrite
        stopParsing()
        if case .bytes(let bytes) = response.body {
            ResponseWriter.appendHead(to: &out, status: response.status, headers: response.headers,
                                      contentLength: bytes.count, keepAlive: false, requestId: nil)
            out.append(contentsOf: bytes)
        }
        if context.configuration.accessLog {
            context.logger.info("rejected: \(response.status.code)", metadata: ["status": .stringConvertible(response.status.code)])
        }
    }

}
