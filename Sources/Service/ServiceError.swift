// The API's error type: every failure a handler reports, with its status and stable code,
// rendered as `{"error": {"code": "...", "message": "..."}}`.
import HTTP

public enum ServiceError: Error, Sendable, Equatable {
    case notReady(reason: String)
    case badRequest(code: String, message: String)
    case notFound(what: String)

    public var httpError: HTTPError {
        switch self {
        case .notReady(let reason):
            HTTPError(.serviceUnavailable, code: "not-ready", message: reason, headers: ["Retry-After": "1"])
        case .badRequest(let code, let message):
            HTTPError(.badRequest, code: code, message: message)
        case .notFound(let what):
            HTTPError(.notFound, code: "not-found", message: "\(what) does not exist")
        }
    }
}
