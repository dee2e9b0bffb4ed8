// Submissions: a stored prediction file (by SHA-256) and its row, queued for evaluation;
// Idempotency-Key replays and the daily quota per team and benchmark are decided here.
import Foundation
import GRDB

public struct Submission: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "submission"
    public var id: Int64?
    public let team: Int64
    public let benchmark: String
    public var method: String
    public let description: String
    public let visibility: String
    public let file_sha256: String
    public let file_size: Int64
    public var status: String
    public var error: String?
    public let idempotency_key: String?
    public let submitted: String
    public var started: String?
    public var finished: String?
    public let metric_version: String
    /// The misc-scores/v1 document, once done.
    public var scores: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public enum SubmissionStatus: String, Sendable {
    case queued, running, done, failed
}

/// What a team sends besides the file.
public struct SubmissionRequest: Sendable {
    public var benchmark: String
    public var team: Team
    /// The uploaded file (moved into the store), its size and SHA-256.
    public var file: String
    public var size: Int64
    public var sha256: String
    /// Empty: the `method` of the file is taken when it is evaluated.
    public var method: String = ""
    public var description: String = ""
    public var anonymous = false
    public var idempotencyKey: String?

    public init(benchmark: String, team: Team, file: String, size: Int64, sha256: String) {
        self.benchmark = benchmark
        self.team = team
        self.file = file
        self.size = size
        self.sha256 = sha256
    }
}

extension Store {
    /// The version of the metric that scores are computed with; stored with every
    /// submission so that a later change of the metric can tell old scores apart.
    public static let metricVersion = "misc-scores/v1"

    /// Quota check, file moved into place and row inserted (queued); `created` is false when
    /// an earlier submission with the same Idempotency-Key is returned instead. The file is
    /// the store's from here on: moved into place, or removed when refused or a replay.
    /// `quota`: submissions per team and benchmark in the last 24 h; 0 = no limit.
    public func submit(_ request: SubmissionRequest, quota: Int) throws -> (submission: Submission, created: Bool) {
        defer { try? FileManager.default.removeItem(atPath: request.file) }
        guard let teamID = request.team.id else { throw LeaderboardError.internalFailure("team without id") }
        guard try benchmark(named: request.benchmark) != nil else { throw LeaderboardError.notFound(what: "benchmark", name: request.benchmark) }
        if let earlier = try admission(team: request.team, benchmark: request.benchmark, idempotencyKey: request.idempotencyKey,
                                       sha256: request.sha256, quota: quota) {
            return (earlier, false)
        }
        let now = now()
        // The file first, then the row: a row never names a file that is not there.
        let stored = path(.submissions, request.sha256)
        if !FileManager.default.fileExists(atPath: stored) {
            try FileManager.default.moveItem(atPath: request.file, toPath: stored)
            try Durability.syncDirectory(path(.submissions, ""))
        }
        let row = Submission(id: nil, team: teamID, benchmark: request.benchmark, method: request.method,
                             description: request.description, visibility: request.anonymous ? "anonymous" : "public",
                             file_sha256: request.sha256, file_size: request.size, status: SubmissionStatus.queued.rawValue,
                             error: nil, idempotency_key: request.idempotencyKey, submitted: Self.timestamp(now),
                             started: nil, finished: nil, metric_version: Self.metricVersion, scores: nil)
        do {
            let inserted = try database.write { db in
                var inserted = row
                try inserted.insert(db)
                return inserted
            }
            return (inserted, true)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            // The same key raced in from another connection: answer with the winner.
            guard let key = request.idempotencyKey, let earlier = try submission(team: request.team, idempotencyKey: key) else { throw error }
            guard earlier.file_sha256 == request.sha256 else { throw LeaderboardError.idempotencyConflict(key: key) }
            return (earlier, false)
        }
    }

    /// Whether the team may submit to the benchmark now. A replay of an Idempotency-Key gives
    /// back the earlier submission (it never counts against the quota; with `sha256`, the file
    /// must be the same); nil: a new submission may be made; otherwise the quota is used up.
    /// The server asks this on the request head (no file yet), the store again on `submit`.
    public func admission(team: Team, benchmark: String, idempotencyKey key: String?, sha256: String?, quota: Int) throws -> Submission? {
        if let key {
            guard (1...200).contains(key.utf8.count) else { throw LeaderboardError.invalid(field: "Idempotency-Key", reason: "1–200 characters") }
            if let earlier = try submission(team: team, idempotencyKey: key) {
                if let sha256, earlier.file_sha256 != sha256 { throw LeaderboardError.idempotencyConflict(key: key) }
                return earlier
            }
        }
        if quota > 0, let retry = try quotaRetryAfter(team: team, benchmark: benchmark, quota: quota) {
            throw LeaderboardError.quotaExceeded(limit: quota, retryAfterSeconds: retry)
        }
        return nil
    }

    /// The team's earlier submission under this Idempotency-Key.
    public func submission(team: Team, idempotencyKey key: String) throws -> Submission? {
        try database.read { db in
            try Submission.filter(Column("team") == team.id && Column("idempotency_key") == key).fetchOne(db)
        }
    }

    /// Seconds until the team may submit to the benchmark again, when its last 24 hours hold
    /// `quota` submissions already; nil when it may now.
    func quotaRetryAfter(team: Team, benchmark: String, quota: Int) throws -> Int? {
        let now = now()
        let recent = try database.read { db in
            try String.fetchAll(db, sql: """
                SELECT submitted FROM submission WHERE team = ? AND benchmark = ? AND submitted > ? ORDER BY submitted
                """, arguments: [team.id, benchmark, Self.timestamp(now.addingTimeInterval(-86_400))])
        }
        guard recent.count >= quota else { return nil }
        let oldest = (try? Date(recent[recent.count - quota], strategy: .iso8601)) ?? now
        return max(1, Int(oldest.addingTimeInterval(86_400).timeIntervalSince(now).rounded(.up)))
    }

    public func submission(id: Int64) throws -> Submission? {
        try database.read { db in try Submission.fetchOne(db, key: id) }
    }

    public func submissions(team: Int64? = nil, benchmark: String? = nil) throws -> [Submission] {
        try database.read { db in
            var request = Submission.order(Column("id"))
            if let team { request = request.filter(Column("team") == team) }
            if let benchmark { request = request.filter(Column("benchmark") == benchmark) }
            return try request.fetchAll(db)
        }
    }

    func submissionPath(_ submission: Submission) -> String { path(.submissions, submission.file_sha256) }
}

enum Durability {
    /// A rename is durable once its directory is synced.
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { throw LeaderboardError.internalFailure("cannot open \(path) to sync it") }
        defer { close(descriptor) }
        _ = fsync(descriptor)
    }
}
