// The evaluation worker: claims queued submissions one at a time, scores them with the
// Evaluation module (exactly `dpcl eval`), and stores the scores. Jobs left running by a
// stopped server are queued again at start. Worker threads run at a lower priority, so
// evaluation never starves inference.
import Evaluation
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

public final class EvaluationJobs: @unchecked Sendable {
    let store: Store
    let workers: Int
    private let wakeUp = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    // Guarded by `lock`.
    private var stopping = false
    private var groundTruths: [String: Benchmark] = [:]

    public init(store: Store, workers: Int) {
        self.store = store
        self.workers = max(1, workers)
    }

    /// Queues jobs a stopped server left running, then starts the workers.
    public func start() throws {
        _ = try store.database.write { db in
            try db.execute(sql: "UPDATE submission SET status = 'queued', started = NULL WHERE status = 'running'")
        }
        for index in 0..<workers {
            let thread = Thread { [self] in
                // Nice 10 for this thread only: on Linux, "process" 0 is the calling thread.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                work()
            }
            thread.name = "evaluation-\(index)"
            thread.start()
        }
    }

    /// A submission was queued: a waiting worker takes it now rather than at its next poll.
    public func wake() { wakeUp.signal() }

    /// Workers stop after the job they are running.
    public func stop() {
        lock.withLock { stopping = true }
        for _ in 0..<workers { wakeUp.signal() }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func work() {
        while !isStopping {
            let ran = (try? runNext()) ?? false
            // Poll as well as wait: a submission added by another process has no one to wake us.
            if !ran { _ = wakeUp.wait(timeout: .now() + 2) }
        }
    }

    /// Claims and evaluates the oldest queued submission; false when there was none.
    public func runNext() throws -> Bool {
        let started = Store.timestamp(store.now())
        guard let id = try store.database.write({ db in
            try Int64.fetchOne(db, sql: """
                UPDATE submission SET status = 'running', started = ?
                WHERE id = (SELECT id FROM submission WHERE status = 'queued' ORDER BY id LIMIT 1) RETURNING id
                """, arguments: [started])
        }), let submission = try store.submission(id: id) else { return false }
        let outcome: Result<Scores, LeaderboardError>
        do {
            outcome = .success(try evaluate(submission))
        } catch let error as InputError {
            outcome = .failure(.invalidDocument("the predictions are not valid: \(error)"))
        } catch let error as LeaderboardError {
            outcome = .failure(error)
        } catch {
            outcome = .failure(.internalFailure("evaluation failed: \(error)"))
        }
        try record(outcome, for: submission)
        return true
    }

    private func evaluate(_ submission: Submission) throws -> Scores {
        guard let info = try store.benchmark(named: submission.benchmark) else {
            throw LeaderboardError.notFound(what: "benchmark", name: submission.benchmark)
        }
        let benchmark = try lock.withLock { groundTruths[info.ground_truth_sha256] }
            ?? GroundTruthReader.read(path: store.groundTruthPath(info))
        lock.withLock { groundTruths[info.ground_truth_sha256] = benchmark }
        return try Evaluator(benchmark: benchmark).evaluate(path: store.submissionPath(submission))
    }

    private func record(_ outcome: Result<Scores, LeaderboardError>, for submission: Submission) throws {
        let finished = Store.timestamp(store.now())
        try store.database.write { db in
            var row = submission
            row.finished = finished
            switch outcome {
            case .failure(let error):
                row.status = SubmissionStatus.failed.rawValue
                row.error = error.description
            case .success(let scores):
                row.status = SubmissionStatus.done.rawValue
                row.scores = ScoresDocument.json(scores)
                if row.method.isEmpty { row.method = scores.method ?? "" }
                try db.execute(sql: "DELETE FROM score WHERE submission = ?", arguments: [submission.id])
                try db.execute(sql: "DELETE FROM category_score WHERE submission = ?", arguments: [submission.id])
                for (category, summary) in [("", scores.overall)] + scores.categories.map({ ($0.name, $0.summary) }) {
                    for alpha in summary.alphas {
                        try db.execute(sql: "INSERT INTO score (submission, category, alpha, mpck, recall, f1) VALUES (?, ?, ?, ?, ?, ?)",
                                       arguments: [submission.id, category, alpha.alpha, alpha.mpck, alpha.recall, alpha.f1])
                    }
                    try db.execute(sql: """
                        INSERT INTO category_score (submission, category, groups, miou, grouping, grouping_same,
                                                    grouping_different, grouping_match_pairs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [submission.id, category, summary.groups, summary.miou, summary.grouping?.score,
                                         summary.grouping?.same, summary.grouping?.different, summary.grouping?.matchPairs])
                }
            }
            try row.update(db)
        }
    }
}
