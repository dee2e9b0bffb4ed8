// Routes by method and path template (`/v1/submissions/{id}`); decides 404, 405 (+ Allow)
// and rejects path traversal before any handler runs.

public typealias Handler = @Sendable (Request) throws -> Response

/// A handler that answers later, from any thread, through its `Responder`: it runs on the
/// CPU executor, hands long work to a queue of its own and returns, so no executor worker
/// waits on that work.
public typealias DeferredHandler = @Sendable (Request, Responder) throws -> Void

/// Decides from a request's head whether a streaming route takes its body: it sees the head,
/// path parameters, query and request id (the body empty, `upload` nil) before a byte of the
/// body is read. Throwing an `HTTPError` (401, 403, 429...) answers with it at once and closes
/// the connection with the body unread; no `100 Continue` is sent. It runs on the connection's
/// event queue, so it must be quick and never wait (a token check, an in-memory quota lookup).
public typealias Admission = @Sendable (Request) throws -> Void

/// Where a handler runs: on the connection's event queue (cheap, never blocking: health,
/// metrics) or on the bounded CPU executor (anything that computes or touches storage).
public enum Execution: Sendable {
    case inline
    case executor
}

public struct Route: Sendable {
    public let method: String
    public let template: String
    let segments: [PathSegment]
    public let execution: Execution
    /// When true a request without Content-Length or chunked body gets 411.
    public let requiresBody: Bool
    /// Where a streaming route's bodies go; nil for routes whose body is kept in memory.
    public let upload: UploadPolicy?
    let admit: Admission?
    let handler: RouteHandler
}

/// A route's handler: one that returns its response, or one that answers later.
enum RouteHandler: Sendable {
    case immediate(Handler)
    case deferred(DeferredHandler)
}

enum PathSegment: Sendable, Equatable {
    case literal(String)
    case parameter(String)
    /// `{name...}`, last in a template: one or more segments, joined with `/` (a file path
    /// inside a folder; each segment still refused when it is `.` or `..`).
    case rest(String)
}

public struct Router: Sendable {
    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(
        _ method: String, _ template: String, execution: Execution = .executor,
        requiresBody: Bool = false, handler: @escaping Handler
    ) {
        append(method, template, execution: execution, requiresBody: requiresBody, handler: .immediate(handler))
    }

    /// A POST route whose handler answers through a `Responder` (see `DeferredHandler`); it
    /// runs on the executor.
    public mutating func postDeferred(_ template: String, handler: @escaping DeferredHandler) {
        append("POST", template, execution: .executor, requiresBody: true, handler: .deferred(handler))
    }

    /// A route whose body is streamed to a temporary file instead of memory, for uploads far
    /// larger than `Limits.maxBodyBytes` (which does not apply here: `upload.maxBodyBytes`
    /// does). The route is matched as soon as the head is parsed; `admit` (see `Admission`)
    /// may refuse it before the body. The body, de-chunked, is written to a new file in
    /// `upload.directory` while its SHA-256 is computed; once complete and synced, `handler`
    /// runs on the executor with `request.upload` set. It may rename the file into place;
    /// whatever is left at the path afterwards is deleted, as is the file of a body that never
    /// completes (client gone, timeout, bad framing, shutdown): the handler then never runs.
    /// An empty body gives a 0-byte file; no body framing at all gets 411.
    public mutating func addStreaming(_ method: String, _ template: String, upload: UploadPolicy,
                                      admit: Admission? = nil, handler: @escaping Handler) {
        append(method, template, execution: .executor, requiresBody: true, handler: .immediate(handler),
               upload: upload, admit: admit)
    }

    private mutating func append(_ method: String, _ template: String, execution: Execution, requiresBody: Bool,
                                 handler: RouteHandler, upload: UploadPolicy? = nil, admit: Admission? = nil) {
        let segments = template.split(separator: "/").map { part -> PathSegment in
            guard part.hasPrefix("{") && part.hasSuffix("}") else { return .literal(String(part)) }
            let name = part.dropFirst().dropLast()
            return name.hasSuffix("...") ? .rest(String(name.dropLast(3))) : .parameter(String(name))
        }
        routes.append(Route(method: method, template: template, segments: segments, execution: execution,
                            requiresBody: requiresBody, upload: upload, admit: admit, handler: handler))
    }

    public mutating func get(_ template: String, execution: Execution = .executor, handler: @escaping Handler) {
        add("GET", template, execution: execution, handler: handler)
    }

    public mutating func post(_ template: String, execution: Execution = .executor, handler: @escaping Handler) {
        add("POST", template, execution: execution, requiresBody: true, handler: handler)
    }

    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// Splits and percent-decodes the path, refusing `.`/`..` segments and encoded `/` or NUL.
    static func decodeSegments(_ path: String) throws(HTTPError) -> [String] {
        guard path.hasPrefix("/") else {
            throw HTTPError(.badRequest, code: "bad-path", message: "path must start with /")
        }
        var result: [String] = []
        for raw in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            let segment: String
            if raw.contains(UInt8(ascii: "%")) {
                guard let decoded = PercentDecoding.decode(Substring(raw), plusIsSpace: false) else {
                    throw HTTPError(.badRequest, code: "bad-path", message: "path has bad percent-encoding")
                }
                segment = decoded
            } else {
                segment = String(Substring(raw))
            }
            let forbidden = segment.utf8.contains { $0 == UInt8(ascii: "/") || $0 == 0 || $0 == UInt8(ascii: "\\") }
            if segment == "." || segment == ".." || forbidden {
                throw HTTPError(.badRequest, code: "path-traversal", message: "path segments may not be . or .. or hide / \\ or NUL")
            }
            result.append(segment)
        }
        return result
    }

    public func match(method: String, path: String) throws(HTTPError) -> Match {
        let segments = try Self.decodeSegments(path)
        var allowed: [String] = []
        let lookup = method == "HEAD" ? "GET" : method
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: segments) else { continue }
            if route.method == lookup || route.method == method { return .found(route, parameters: parameters) }
            allowed.append(route.method)
            if route.method == "GET" { allowed.append("HEAD") }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    static func bind(_ template: [PathSegment], to segments: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        if case .rest(let name) = template.last {
            guard segments.count >= template.count else { return nil }
            parameters[name] = segments[(template.count - 1)...].joined(separator: "/")
        } else {
            guard template.count == segments.count else { return nil }
        }
        for (part, segment) in zip(template, segments) {
            switch part {
            case .literal(let literal): if literal != segment { return nil }
            case .parameter(let name): parameters[name] = segment
            case .rest: break
            }
        }
        return parameters
    }
}
