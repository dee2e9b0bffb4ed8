// Settings of the leaderboard: who is admin, how much a team may submit, how large a
// submission may be, and how many evaluations run at once.
import Foundation

public struct LeaderboardConfiguration: Sendable, Equatable {
    /// The admin's bearer token; `DPCL_ADMIN_TOKEN` overrides it. nil or empty: no admin
    /// over HTTP (operators use `dpcl leaderboard` on the data directory).
    public var adminToken: String?
    /// Submissions per team and benchmark in any 24 hours; 0 = no limit.
    /// `DPCL_SUBMISSION_QUOTA` overrides it.
    public var submissionQuota = 5
    /// Largest submission file, in bytes (2 GiB): streamed to disk, never held in memory.
    public var maxSubmissionBytes = 2 << 30
    /// Largest benchmark image or ground truth upload, in bytes.
    public var maxUploadBytes = 512 << 20
    /// Evaluations run at once (each on a low-priority thread).
    public var evaluationWorkers = 1
    /// Failed authentications a client may make per minute before it is answered 429.
    public var maxFailedAuthPerMinute = 10

    public init() {}

    /// The environment's overrides applied over these values.
    public func applyingEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> Self {
        var result = self
        if let token = environment["DPCL_ADMIN_TOKEN"], !token.isEmpty { result.adminToken = token }
        if let quota = environment["DPCL_SUBMISSION_QUOTA"] {
            guard let value = Int(quota), value >= 0 else {
                throw .outOfRange(key: "DPCL_SUBMISSION_QUOTA", value: quota, expected: "an integer >= 0 (0: no limit)")
            }
            result.submissionQuota = value
        }
        return result
    }
}
