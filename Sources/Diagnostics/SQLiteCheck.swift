// SQLite: a table in an in-memory database written and queried back.
import CSQLite

public enum SQLiteCheck {
    public static func run() -> LibraryCheck {
        let version = String(cString: sqlite3_libversion())
        do {
            let total = try query(
                """
                CREATE TABLE scores(value INTEGER);
                INSERT INTO scores VALUES (17), (25);
                """,
                then: "SELECT sum(value) FROM scores")
            return LibraryCheck(library: "sqlite", version: version, passed: total == 42,
                                detail: "in-memory table written and summed: \(total) (expected 42)")
        } catch {
            return LibraryCheck(library: "sqlite", version: version, passed: false, detail: "\(error)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `setup` in a fresh in-memory database and returns the first column of `select`.
    static func query(_ setup: String, then select: String) throws -> Int64 {
        var database: OpaquePointer?
        guard sqlite3_open(":memory:", &database) == SQLITE_OK, let database else {
            throw Failure(description: "sqlite3_open(:memory:) failed")
        }
        defer { sqlite3_close(database) }
        guard sqlite3_exec(database, setup, nil, nil, nil) == SQLITE_OK else {
            throw Failure(description: String(cString: sqlite3_errmsg(database)))
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, select, -1, &statement, nil) == SQLITE_OK else {
            throw Failure(description: String(cString: sqlite3_errmsg(database)))
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else {
            throw Failure(description: "no row: " + String(cString: sqlite3_errmsg(database)))
        }
        return sqlite3_column_int64(statement, 0)
    }
}
