// The schema's history, append-only: a shipped migration is never edited; a change is the
// next named migration.
import GRDB

enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-benchmarks-teams-submissions-scores") { db in
            try db.execute(sql: """
                CREATE TABLE benchmark (
                    name TEXT PRIMARY KEY NOT NULL,
                    title TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    created TEXT NOT NULL,
                    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'hidden')),
                    ground_truth_sha256 TEXT NOT NULL,
                    inputs_sha256 TEXT NOT NULL,
                    categories TEXT NOT NULL,
                    pair_count INTEGER NOT NULL
                );
                CREATE TABLE benchmark_image (
                    benchmark TEXT NOT NULL REFERENCES benchmark(name) ON DELETE CASCADE,
                    file TEXT NOT NULL,
                    width INTEGER NOT NULL,
                    height INTEGER NOT NULL,
                    sha256 TEXT,
                    PRIMARY KEY (benchmark, file)
                );
                CREATE TABLE team (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    token_sha256 TEXT NOT NULL UNIQUE,
                    created TEXT NOT NULL
                );
                CREATE TABLE submission (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    team INTEGER NOT NULL REFERENCES team(id),
                    benchmark TEXT NOT NULL REFERENCES benchmark(name),
                    method TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'anonymous')),
                    file_sha256 TEXT NOT NULL,
                    file_size INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
                    error TEXT,
                    idempotency_key TEXT,
                    submitted TEXT NOT NULL,
                    started TEXT,
                    finished TEXT,
                    metric_version TEXT NOT NULL,
                    scores TEXT,
                    UNIQUE (team, idempotency_key)
                );
                CREATE INDEX submission_status ON submission(status, id);
                CREATE INDEX submission_quota ON submission(team, benchmark, submitted);
                CREATE TABLE score (
                    submission INTEGER NOT NULL REFERENCES submission(id) ON DELETE CASCADE,
                    category TEXT NOT NULL,
                    alpha REAL NOT NULL,
                    mpck REAL,
                    recall REAL,
                    f1 REAL,
                    PRIMARY KEY (submission, category, alpha)
                );
                CREATE TABLE category_score (
                    submission INTEGER NOT NULL REFERENCES submission(id) ON DELETE CASCADE,
                    category TEXT NOT NULL,
                    groups INTEGER NOT NULL,
                    miou REAL,
                    grouping REAL,
                    grouping_same REAL,
                    grouping_different REAL,
                    grouping_match_pairs INTEGER,
                    PRIMARY KEY (submission, category)
                );
                """)
        }
        migrator.registerMigration("v2-benchmark-leak") { db in
            // NULL counts: added before the leak was measured.
            try db.execute(sql: """
                ALTER TABLE benchmark ADD COLUMN leak_target_instances INTEGER;
                ALTER TABLE benchmark ADD COLUMN leak_leaked_instances INTEGER;
                ALTER TABLE benchmark ADD COLUMN leak_allowed INTEGER NOT NULL DEFAULT 0;
                """)
        }
        return migrator
    }
}
