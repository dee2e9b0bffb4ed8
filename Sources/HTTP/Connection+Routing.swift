// How a connection routes a request head the moment it is parsed: the body kept in memory or,
// for a streaming route, admitted and written to a temporary file as it arrives.

/// A head routed when it was parsed; it travels with its request until the answer.
struct Routing {
    let head: RequestHead
    let requestId: String
    let match: Result<Router.Match, HTTPError>

    /// The route label of logs and metrics.
    var template: String {
        switch match {
        case .success(.found(let route, _)): route.template
        case .success: "(unmatched)"
        case .failure: "(invalid)"
        }
    }
}

extension Connection {
    /// Routes `head` and tells the parser how to take its body; false when the request was
    /// refused before its body (413, a failed admission, an upload that cannot be stored).
    func route(_ head: RequestHead) -> Bool {
        let routing = Routing(head: head, requestId: context.requestIds.id(for: head.headers),
                              match: Result { () throws(HTTPError) in try context.router.match(method: head.method, path: head.path) })
        self.routing = routing
        // Without framing there is no body to stream: dispatch answers 411 as for any route
        // that requires a body.
        if case .success(.found(let route, let parameters)) = routing.match, let policy = route.upload, head.framing != .none {
            return admitUpload(routing, route, parameters, policy)
        }
        return takeBody(of: head, .buffer(limit: context.configuration.limits.maxBodyBytes))
    }

    private func admitUpload(_ routing: Routing, _ route: Route, _ parameters: [String: String], _ policy: UploadPolicy) -> Bool {
        let head = routing.head
        do {
            // A bad query is refused now rather than after a gigabyte of body.
            let query = try QueryParameters(parsing: head.query)
            try route.admit?(Request(head: head, body: [], pathParameters: parameters, query: query,
                                     requestId: routing.requestId, routeTemplate: route.template, clientAddress: clientAddress))
            guard takeBody(of: head, .stream(limit: policy.maxBodyBytes)) else { return false }
            let length: Int? = if case .length(let length) = head.framing { length } else { nil }
            upload = try TemporaryUpload(directory: policy.directory, expectedBytes: length)
            return true
        } catch let error as UploadError {
            refuse(error.response)
        } catch {
            refuse(Self.errorResponse(error))
        }
        return false
    }

    /// Tells the parser how to take the body that follows `head`; a Content-Length over the
    /// plan's limit is queued as the 413 it earns.
    private func takeBody(of head: RequestHead, _ plan: RequestParser.BodyPlan) -> Bool {
        // Only then did the parser stop after this head (it may have read past a bodiless one).
        guard head.framing.carriesBody else { return true }
        do {
            try parser.takeBody(plan)
        } catch {
            pending.append(.failure(error))
            return false
        }
        return true
    }

    /// Writes streamed body bytes to the upload's file; false when it could not be stored.
    func store(_ bytes: UnsafeRawBufferPointer) -> Bool {
        do {
            try upload?.write(bytes)
        } catch {
            refuse(error.response)
            return false
        }
        return true
    }

    /// Queues a request whose body is complete; a streamed body's file is finished first.
    func complete(_ request: ParsedRequest) -> Bool {
        guard let routing else { preconditionFailure("a request event without its head") }
        let file = upload
        do {
            try file?.finishWriting()
        } catch {
            refuse(error.response)
            return false
        }
        upload = nil
        pending.append(.request(request, routing, file))
        return true
    }

    /// Answers the request being received before (the rest of) its body is read, then closes:
    /// lingering drains the unread bytes, so the client reads the answer rather than a reset.
    private func refuse(_ response: Response) {
        guard let routing else { preconditionFailure("a refusal without a routed head") }
        var response = response
        response.headers.set("Connection", "close")
        pending.append(.refusal(routing, response))
        stopParsing()
    }
}
