// The leaderboard's database and files: one SQLite file in the data directory (WAL, one
// writer, synchronous=FULL, a busy timeout), migrated on open, and the folders beside it.
import Foundation
import GRDB

public final class Store: Sendable {
    /// The data directory.
    public let directory: String
    let database: DatabasePool
    /// The clock rows are stamped with (tests move it to check daily quotas).
    let now: @Sendable () -> Date

    public static let fileName = "leaderboard.sqlite"

    /// Opens (and migrates) the store in `directory`, which is created when `create`; else it
    /// must exist (a server reports a missing data directory rather than make one elsewhere).
    public init(directory: String, create: Bool = true, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.directory = directory
        self.now = now
        var isDirectory: ObjCBool = false
        guard create || (FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue) else {
            throw LeaderboardError.notFound(what: "data directory", name: directory)
        }
        for folder in [directory] + Folder.allCases.map({ "\(directory)/\($0.rawValue)" }) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        // Writers wait for each other rather than fail; WAL lets readers go on meanwhile.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // A submission acknowledged with 202 must survive a power cut, not only a crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        database = try DatabasePool(path: "\(directory)/\(Self.fileName)", configuration: configuration)
        try Migrations.migrator.migrate(database)
    }

    /// The folders of the data directory the store owns.
    enum Folder: String, CaseIterable {
        /// Ground truth files by SHA-256; never served.
        case groundTruth = "ground-truth"
        /// The public inputs document of each benchmark, by SHA-256.
        case inputs
        /// Benchmark images: `benchmark-images/<benchmark>/<file>`.
        case images = "benchmark-images"
        /// Submitted prediction files by SHA-256, as uploaded (plain or gzip).
        case submissions
        /// Uploads in progress; moved into place once complete.
        case uploads
    }

    func path(_ folder: Folder, _ name: String) -> String { "\(directory)/\(folder.rawValue)/\(name)" }

    /// Where uploads are written while they arrive (same file system as their destination,
    /// so that moving them into place is a rename).
    public var uploadDirectory: String { "\(directory)/\(Folder.uploads.rawValue)" }

    /// Folds the write-ahead log into the database file and empties it.
    public func checkpoint() throws {
        _ = try database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// `PRAGMA integrity_check`: "ok" for a sound database.
    public func integrityCheck() throws -> String {
        try database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
            .timeSeparator(.colon).timeZone(separator: .omitted))
    }
}
