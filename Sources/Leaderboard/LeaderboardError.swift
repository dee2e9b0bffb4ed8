// What can go wrong in the leaderboard, with what a user needs to fix it; Service maps each
// case onto an HTTP status, the command line onto a one-line reason.

public enum LeaderboardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A name, title or option that breaks a rule: which, and the rule.
    case invalid(field: String, reason: String)
    case notFound(what: String, name: String)
    case alreadyExists(what: String, name: String)
    /// A ground truth or predictions document that cannot be used: where, and why.
    case invalidDocument(String)
    /// The public inputs would carry target instances' truth (and no `--allow-leak`).
    case leaksTruth(Leak)
    /// The team's submissions to one benchmark in the last 24 h reached the quota.
    case quotaExceeded(limit: Int, retryAfterSeconds: Int)
    /// An Idempotency-Key reused with a different file.
    case idempotencyConflict(key: String)
    case internalFailure(String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .notFound(let what, let name): "no \(what) named \(name)"
        case .alreadyExists(let what, let name): "a \(what) named \(name) already exists"
        case .invalidDocument(let reason): reason
        case .leaksTruth(let leak):
            "the public inputs would give the truth away: \(leak.summary) appear in the public inputs, because images that are "
                + "targets of pairs are sources of others; build the split with `dpcl pairs from-coco --disjoint` so that no "
                + "target image is a source, or add it anyway with --allow-leak (API: allow_leak=1)"
        case .quotaExceeded(let limit, let retry):
            "the daily quota of \(limit) submissions to this benchmark is used up; retry in \(retry) s"
        case .idempotencyConflict(let key): "Idempotency-Key \(key) was used before with a different file"
        case .internalFailure(let reason): reason
        }
    }
}
