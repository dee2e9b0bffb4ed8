// Teams and their tokens: a team is created by an admin, receives its token once, and is
// recognised later by the token's SHA-256.
import Foundation
import GRDB

public struct Team: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "team"
    public var id: Int64?
    public let name: String
    let token_sha256: String
    public let created: String

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Names of teams, benchmarks and reference sets: they appear in URLs and file names.
public enum Names {
    public static let rule = "1–64 characters of a–z, 0–9, '-', '_' and '.', not starting with '.' or '-'"

    public static func isValid(_ name: String) -> Bool {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard (1...64).contains(name.utf8.count), allowed, let first = name.utf8.first else { return false }
        return first != UInt8(ascii: ".") && first != UInt8(ascii: "-")
    }

    static func check(_ name: String, field: String) throws(LeaderboardError) {
        guard isValid(name) else { throw .invalid(field: field, reason: "\"\(name)\" must be \(rule)") }
    }
}

extension Store {
    /// A new team and its token (shown this once; only its hash is kept).
    public func createTeam(name: String) throws -> (team: Team, token: String) {
        try Names.check(name, field: "name")
        let token = try Tokens.generate()
        let row = Team(id: nil, name: name, token_sha256: Tokens.sha256(token), created: Self.timestamp(now()))
        let team: Team
        do {
            team = try database.write { db in
                var inserted = row
                try inserted.insert(db)
                return inserted
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw LeaderboardError.alreadyExists(what: "team", name: name)
        }
        return (team, token)
    }

    public func teams() throws -> [Team] {
        try database.read { db in try Team.order(Column("id")).fetchAll(db) }
    }

    public func team(id: Int64) throws -> Team? {
        try database.read { db in try Team.fetchOne(db, key: id) }
    }

    public func team(named name: String) throws -> Team? {
        try database.read { db in try Team.filter(Column("name") == name).fetchOne(db) }
    }

    /// The team whose token this is; nil for an unknown token.
    public func team(token: String) throws -> Team? {
        let hash = Tokens.sha256(token)
        let found = try database.read { db in try Team.filter(Column("token_sha256") == hash).fetchOne(db) }
        // The lookup went by hash; the final comparison is in constant time all the same.
        guard let found, Tokens.constantTimeEqual(found.token_sha256, hash) else { return nil }
        return found
    }
}
