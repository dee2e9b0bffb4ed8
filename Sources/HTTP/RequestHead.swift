// A parsed request head: what the parser vouches for after RFC 9112 framing checks.

public enum HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    case http10
    case http11

    public var description: String { self == .http10 ? "HTTP/1.0" : "HTTP/1.1" }
}

/// How the body of a request is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked

    /// Whether body bytes follow the head (the parser then waits for `takeBody`).
    public var carriesBody: Bool { self != .none && self != .length(0) }
}

public struct RequestHead: Sendable {
    public var method: String
    /// The request-target as sent (origin-form, absolute-form or `*`).
    public var target: String
    /// The path part of the target, still percent-encoded.
    public var path: String
    /// The query part after `?` (without it), still percent-encoded; nil when absent.
    public var query: String?
    public var version: HTTPVersion
    public var headers: Headers
    public var framing: BodyFraming
    /// Whether the connection stays open after this exchange (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// `Expect: 100-continue` was sent: the client waits for 100 before the body.
    public var expectsContinue: Bool
}

/// A complete request as the parser hands it over: head, body and trailer fields.
public struct ParsedRequest: Sendable {
    public var head: RequestHead
    public var body: [UInt8]
    public var trailers: Headers
}
