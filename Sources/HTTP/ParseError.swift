// Why a request could not be framed, with the status it earns. Every case closes the
// connection: after a framing error the next request's start cannot be trusted.

public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Status
    /// Machine-readable, stable: becomes `error.code` of the JSON answer.
    public let code: String
    /// What the client must fix.
    public let message: String

    public init(_ status: Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static func bad(_ code: String, _ message: String) -> ParseError {
        ParseError(.badRequest, code, message)
    }
}
