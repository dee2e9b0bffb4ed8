// Who is asking: the admin, a team, or nobody, from `Authorization: Bearer …`; 401 without
// a valid token, 403 with the wrong role, 429 once a client has failed too often.
import Foundation
import HTTP
import Leaderboard

enum Caller: Sendable {
    case admin
    case team(Team)
}

final class Authorization: Sendable {
    let store: Store
    private let adminHash: String?
    private let failures: FailureCounter

    init(store: Store, adminToken: String?, maxFailuresPerMinute: Int) {
        self.store = store
        adminHash = adminToken.flatMap { $0.isEmpty ? nil : Tokens.sha256($0) }
        failures = FailureCounter(limit: maxFailuresPerMinute)
    }

    /// The caller, or nil when the request carries no token; 401 for a token that is not
    /// valid, 429 for a client that failed too often.
    func caller(_ request: Request) throws(HTTPError) -> Caller? {
        guard let field = request.headers["Authorization"] else { return nil }
        let client = request.clientAddress
        if let retry = failures.retryAfter(client) {
            throw HTTPError(.tooManyRequests, code: "too-many-failed-authentications",
                            message: "too many requests with a bad token; retry in \(retry) s", headers: ["Retry-After": String(retry)])
        }
        let parts = field.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            failures.record(client)
            throw Self.unauthorized("the Authorization field must be \"Bearer <token>\"")
        }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        if let adminHash, Tokens.constantTimeEqual(Tokens.sha256(token), adminHash) { return .admin }
        let team: Team?
        do { team = try store.team(token: token) } catch {
            throw HTTPError(.serviceUnavailable, code: "storage-unavailable", message: "the leaderboard database cannot be read: \(error)")
        }
        guard let team else {
            failures.record(client)
            throw Self.unauthorized("the token is not valid")
        }
        return .team(team)
    }

    func requireAdmin(_ request: Request) throws(HTTPError) {
        switch try caller(request) {
        case .admin: return
        case .team: throw HTTPError(.forbidden, code: "forbidden", message: "this needs the admin token")
        case nil: throw Self.unauthorized("this needs the admin token (Authorization: Bearer …)")
        }
    }

    func requireTeam(_ request: Request) throws(HTTPError) -> Team {
        switch try caller(request) {
        case .team(let team): return team
        case .admin: throw HTTPError(.forbidden, code: "forbidden", message: "this needs a team's token, not the admin's")
        case nil: throw Self.unauthorized("this needs a team's token (Authorization: Bearer …)")
        }
    }

    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(.unauthorized, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer"])
    }
}

/// Failed authentications per client over the last minute.
final class FailureCounter: @unchecked Sendable {
    private let limit: Int
    private let lock = NSLock()
    // Guarded by `lock`: per client, the times of its recent failures.
    private var recent: [String: [Date]] = [:]

    init(limit: Int) { self.limit = limit }

    func record(_ client: String, at now: Date = Date()) {
        lock.withLock {
            recent[client, default: []].append(now)
            // Keep the table small: forget clients whose failures have all expired.
            if recent.count > 10_000 { recent = recent.filter { $0.value.last.map { now.timeIntervalSince($0) < 60 } ?? false } }
        }
    }

    /// Seconds until the client may try again; nil when it may now.
    func retryAfter(_ client: String, at now: Date = Date()) -> Int? {
        lock.withLock {
            let times = (recent[client] ?? []).filter { now.timeIntervalSince($0) < 60 }
            recent[client] = times.isEmpty ? nil : times
            guard times.count >= limit, let oldest = times.first else { return nil }
            return max(1, Int((60 - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }
}
