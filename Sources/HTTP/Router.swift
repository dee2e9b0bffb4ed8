// Routes by method and path template (`/v1/submissions/{id}`); decides 404, 405 (+ Allow)
// and rejects path traversal before any handler runs.

public typealias Handler = @Sendable (Request) throws -> Response

/// A handler that answers later, from any thread, through its `Responder`: it runs on the
/// CPU executor, hands long work to a queue of its own and returns, so no executor worker
/// waits on that work.
public typealias DeferredHandler = @Sendable (Request, Responder) throws -> Void

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

    private mutating func append(_ method: String, _ template: String, execution: Execution, requiresBody: Bool,
                                 handler: RouteHandler) {
        let segments = template.split(separator: "/").map { part -> PathSegment in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
        routes.append(Route(method: method, template: template, segments: segments, execution: execution,
                            requiresBody: requiresBody, handler: handler))
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
        guard template.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (part, segment) in zip(template, segments) {
            switch part {
            case .literal(let literal): if literal != segment { return nil }
            case .parameter(let name): parameters[name] = segment
            }
        }
        return parameters
    }
}
