// The leaderboard's store on a real database file: teams and tokens, benchmarks and their
// public inputs, submissions with quotas and idempotency keys, the evaluation worker, and
// rankings, checked against the Evaluation module's own scores.
import Evaluation
import Foundation
import GRDB
import TestSupport
import Testing
@testable import Leaderboard

@Suite struct StoreTests {
    let folder: String
    let truth = Repository.shared.appendingPathComponent("data/coco-person-dev/pairs.json").path

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID().uuidString)").path
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: folder) }

    /// A prediction file in the upload folder, as the server leaves a finished upload.
    func upload(_ data: Data, to store: Store) throws -> SubmissionRequestFile {
        let path = store.uploadDirectory + "/.test-\(UUID().uuidString)"
        try data.write(to: URL(fileURLWithPath: path))
        return SubmissionRequestFile(path: path, size: Int64(data.count), sha256: Digest.sha256(Array(data)))
    }

    struct SubmissionRequestFile { let path: String; let size: Int64; let sha256: String }

    func request(_ file: SubmissionRequestFile, team: Team, key: String? = nil) -> SubmissionRequest {
        var request = SubmissionRequest(benchmark: "coco-person-dev", team: team, file: file.path, size: file.size, sha256: file.sha256)
        request.idempotencyKey = key
        return request
    }

    @Test func teamsGetATokenShownOnceAndStoredOnlyAsItsHash() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        let (team, token) = try store.createTeam(name: "vision-lab")
        #expect(token.hasPrefix("dpcl_") && token.count == 5 + 64)
        #expect(try store.team(token: token)?.name == "vision-lab")
        #expect(try store.team(token: token + "0") == nil)
        #expect(try store.team(token: String(token.dropLast()) + (token.last == "0" ? "1" : "0")) == nil)
        #expect(team.id != nil)
        #expect(throws: LeaderboardError.alreadyExists(what: "team", name: "vision-lab")) { try store.createTeam(name: "vision-lab") }
        #expect(throws: LeaderboardError.self) { try store.createTeam(name: "../etc") }
        #expect(throws: LeaderboardError.self) { try store.createTeam(name: "") }
        let second = try store.createTeam(name: "other").token
        #expect(second != token)
        // Neither token is anywhere in the database file (nor its WAL).
        for file in [Store.fileName, Store.fileName + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))) ?? Data()
            #expect(bytes.range(of: Data(token.utf8)) == nil && bytes.range(of: Data(second.utf8)) == nil)
        }
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func aBenchmarkKeepsItsTruthAndPublishesOnlyTheSourceSide() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        let info = try store.addBenchmark(groundTruth: truth, title: "COCO people (dev)", allowLeak: true)
        #expect(info.name == "coco-person-dev" && info.pair_count == 12 && info.categoryNames == ["person"])
        #expect(throws: LeaderboardError.alreadyExists(what: "benchmark", name: "coco-person-dev")) { try store.addBenchmark(groundTruth: truth, allowLeak: true) }
        // The inputs name every pair and image, and of the instances only those of sources.
        let inputs = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: store.inputsPath(info)))) as! [String: Any]
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        let pairs = document["pairs"] as! [[String: Any]]
        let sources = Set(pairs.map { $0["source"] as! String })
        let shown = inputs["instances"] as! [[String: Any]]
        #expect((inputs["pairs"] as! [[String: Any]]).count == pairs.count)
        #expect(!shown.isEmpty && shown.allSatisfy { sources.contains($0["image"] as! String) })
        let expected = (document["instances"] as! [[String: Any]]).filter { instance in
            pairs.contains { $0["source"] as? String == instance["image"] as? String && $0["category"] as? String == instance["category"] as? String }
        }
        #expect(shown.count == expected.count)
        // Images: listed with their sizes, stored only when they decode at that size.
        let images = try store.images(of: info.name)
        #expect(images.count == (document["images"] as! [Any]).count && images.allSatisfy { $0.sha256 == nil })
        let first = images[0], source = Repository.shared.appendingPathComponent("data/coco-person-dev/" + first.file).path
        let copy = store.uploadDirectory + "/image"
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        try store.putImage(benchmark: info.name, file: first.file, from: copy, sha256: try Digest.sha256(file: copy))
        #expect(FileManager.default.fileExists(atPath: store.imagePath(benchmark: info.name, file: first.file)))
        #expect(try store.images(of: info.name)[0].sha256 != nil)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: copy))
        #expect(throws: LeaderboardError.self) { try store.putImage(benchmark: info.name, file: images[1].file, from: copy, sha256: "x") }
        #expect(throws: LeaderboardError.notFound(what: "image of benchmark coco-person-dev", name: "images/none.jpg")) {
            try store.putImage(benchmark: info.name, file: "images/none.jpg", from: copy, sha256: "x")
        }
    }

    @Test func aBenchmarkWhosePublicInputsCarryTargetTruthIsRefusedUnlessAllowed() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        // Every image of the dev split is a source of some pair: all 12 target instances leak.
        #expect(throws: LeaderboardError.leaksTruth(Leak(targetInstances: 12, leakedInstances: 12))) {
            try store.addBenchmark(groundTruth: truth, visibility: .hidden)
        }
        let message = LeaderboardError.leaksTruth(Leak(targetInstances: 40, leakedInstances: 35)).description
        #expect(message.contains("87.5% of the target instances (35 of 40) appear in the public inputs") && message.contains("--disjoint"))
        #expect(try store.benchmarks(includeHidden: true).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/ground-truth").isEmpty)
        // Two pairs, 0→1 and 1→2: image 1 is a target and a source, image 2 a target only.
        let counts = try RePairedSplit.instanceCounts(truth)
        let chain = folder + "/chain.json"
        try RePairedSplit.write(from: truth, name: "chain", pairs: [(0, 1), (1, 2)], to: chain)
        let expected = Leak(targetInstances: counts[1] + counts[2], leakedInstances: counts[1])
        #expect(throws: LeaderboardError.leaksTruth(expected)) { try store.addBenchmark(groundTruth: chain) }
        // Allowed: added, the leak and the choice recorded, and kept across a reopening.
        let info = try store.addBenchmark(groundTruth: chain, visibility: .hidden, allowLeak: true)
        #expect(info.leak == expected && info.leak_allowed)
        let reopened = try #require(try Store(directory: folder).benchmark(named: "chain"))
        #expect(reopened.leak == expected && reopened.leak_allowed && reopened.visibility == "hidden")
        let page = RankingHTML.render(try store.ranking(benchmark: "chain", RankingQuery()), benchmark: reopened, query: RankingQuery())
        #expect(page.contains("Leak: \(expected.summary) appear in the public inputs"), "\(page)")
    }

    @Test func aDisjointSplitLeaksNothingAndIsAccepted() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        // Images 0 and 1 only as sources, 2 and 3 only as targets.
        let disjoint = folder + "/disjoint.json"
        try RePairedSplit.write(from: truth, name: "disjoint", pairs: [(0, 2), (0, 3), (1, 2), (1, 3)], to: disjoint)
        let counts = try RePairedSplit.instanceCounts(truth)
        let info = try store.addBenchmark(groundTruth: disjoint, visibility: .hidden)
        #expect(info.leak == Leak(targetInstances: counts[2] + counts[3], leakedInstances: 0) && !info.leak_allowed)
        #expect(info.leak?.share == 0)
        let page = RankingHTML.render(try store.ranking(benchmark: "disjoint", RankingQuery()), benchmark: info, query: RankingQuery())
        #expect(page.contains("Leak: none"))
    }

    /// The leak is measured on the instances the inputs document holds: what a team
    /// downloads counts, whatever its ids, and nothing else does.
    @Test func theLeakIsMeasuredOnTheInputsDocumentAsBuilt() throws {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        let instances = document["instances"] as! [[String: Any]]
        let image = instances[0]["image"] as! String
        let pairs: [[String: Any]] = [["id": "p", "category": "person", "source": "elsewhere", "target": image]]
        let onImage = instances.filter { $0["image"] as? String == image }
        func leak(showing shown: [[String: Any]]) -> Leak {
            BenchmarkInputs.leak(instances: instances, pairs: pairs, shown: shown)
        }
        #expect(leak(showing: []) == Leak(targetInstances: onImage.count, leakedInstances: 0))
        // One target instance shown under another id still gives its keypoints away.
        var renamed = onImage[0]
        renamed["id"] = 999
        #expect(leak(showing: [renamed]) == Leak(targetInstances: onImage.count, leakedInstances: 1))
        // Its mask alone is enough, too; its keypoints moved and no mask are not its truth.
        var maskOnly = onImage[0]
        maskOnly["keypoints"] = (onImage[0]["keypoints"] as! [[Double]]).map { [$0[0] + 1, $0[1], $0[2]] }
        #expect(leak(showing: [maskOnly]) == Leak(targetInstances: onImage.count, leakedInstances: 1))
        maskOnly.removeValue(forKey: "segmentation")
        #expect(leak(showing: [maskOnly]) == Leak(targetInstances: onImage.count, leakedInstances: 0))
    }

    @Test func aDatabaseOfTheFirstSchemaMigratesWithItsBenchmarksLeakUnmeasured() throws {
        defer { cleanUp() }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: folder + "/" + Store.fileName)
        try Migrations.migrator.migrate(old, upTo: "v1-benchmarks-teams-submissions-scores")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO benchmark (name, title, created, visibility, ground_truth_sha256, inputs_sha256, categories, pair_count)
                VALUES ('old', 'Old', '2025-01-01T00:00:00Z', 'public', 'x', 'y', '["person"]', 3)
                """)
        }
        try old.close()
        let store = try Store(directory: folder)
        let info = try #require(try store.benchmark(named: "old"))
        #expect(info.leak == nil && !info.leak_allowed && info.pair_count == 3)
        #expect(RankingHTML.leak(info).contains("not measured"))
    }

    @Test func aBenchmarkWhoseImagePathsLeaveItsFolderIsRefused() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        var images = document["images"] as! [[String: Any]]
        images[0]["file"] = "../../outside.jpg"
        document["images"] = images
        let path = folder + "/bad.json"
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
        #expect(throws: LeaderboardError.self) { try store.addBenchmark(groundTruth: path) }
        #expect(try store.benchmarks(includeHidden: true).isEmpty)
    }

    @Test func submissionsAreScoredExactlyAsTheEvaluatorScoresThemAndRanked() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        _ = try store.addBenchmark(groundTruth: truth, allowLeak: true)
        let first = try store.createTeam(name: "first").team, second = try store.createTeam(name: "second").team
        let perfect = try TruthPredictions.make(groundTruth: truth, method: "truth")
        let shifted = try TruthPredictions.make(groundTruth: truth, method: "truth shifted", shift: 100)
        let a = try store.submit(request(try upload(perfect, to: store), team: first), quota: 0).submission
        let b = try store.submit(request(try upload(shifted, to: store), team: second), quota: 0).submission
        #expect(a.status == "queued" && b.status == "queued")
        let jobs = EvaluationJobs(store: store, workers: 1)
        while try jobs.runNext() {}
        let done = try #require(try store.submission(id: a.id!))
        #expect(done.status == "done" && done.method == "truth")
        // The stored document is the Evaluation module's, byte for byte.
        let benchmark = try GroundTruthReader.read(path: truth)
        let path = folder + "/perfect.json"
        try perfect.write(to: URL(fileURLWithPath: path))
        #expect(done.scores == ScoresDocument.json(try Evaluator(benchmark: benchmark).evaluate(path: path)))
        let ranking = try store.ranking(benchmark: "coco-person-dev", RankingQuery(alpha: 0.10, metric: .f1))
        #expect(ranking.rows.map(\.team) == ["first", "second"])
        #expect(ranking.rows[0].value == 1.0 && (ranking.rows[1].value ?? 1) < 1.0)
        #expect(ranking.rows[0].categories["person"] == 1.0)
        // At α = 1 the shift is within reach: both perfect, sharing rank 1.
        let wide = try store.ranking(benchmark: "coco-person-dev", RankingQuery(alpha: 1.0, metric: .mpck))
        #expect(wide.rows.map(\.rank) == [1, 1])
        #expect(throws: LeaderboardError.self) { try store.ranking(benchmark: "coco-person-dev", RankingQuery(alpha: 0.2)) }
        #expect(throws: LeaderboardError.self) { try store.ranking(benchmark: "coco-person-dev", RankingQuery(category: "horse")) }
        // CSV and HTML carry the same rows.
        let csv = RankingCSV.render(ranking).split(separator: "\r\n")
        #expect(csv.count == 3 && csv[0] == "rank,team,submission,method,submitted,f1@0.1000,f1@0.1000 person")
        #expect(csv[1].hasPrefix("1,first,\(a.id!),truth,") && csv[1].hasSuffix(",1.0000,1.0000"))
        var info = try #require(try store.benchmark(named: "coco-person-dev"))
        info = BenchmarkInfo(name: info.name, title: "COCO <dev>", description: info.description, created: info.created,
                             visibility: info.visibility, ground_truth_sha256: info.ground_truth_sha256, inputs_sha256: info.inputs_sha256,
                             categories: info.categories, pair_count: info.pair_count, leak_target_instances: info.leak_target_instances,
                             leak_leaked_instances: info.leak_leaked_instances, leak_allowed: info.leak_allowed)
        let html = RankingHTML.render(ranking, benchmark: info, query: RankingQuery())
        #expect(html.contains("<title>COCO &lt;dev&gt; leaderboard</title>") && html.contains("<td>first</td>"))
    }

    @Test func anInvalidFileFailsWithTheJSONPathOfItsFirstProblem() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        _ = try store.addBenchmark(groundTruth: truth, allowLeak: true)
        let team = try store.createTeam(name: "t").team
        let bad = Data(#"{"format": "misc-predictions/v1", "benchmark": "coco-person-dev", "method": "m", "pairs": [{"pair": "person-0001", "matches": [{"keypoint": 0}]}]}"#.utf8)
        let submission = try store.submit(request(try upload(bad, to: store), team: team), quota: 0).submission
        while try EvaluationJobs(store: store, workers: 1).runNext() {}
        let failed = try #require(try store.submission(id: submission.id!))
        #expect(failed.status == "failed")
        #expect(failed.error?.contains("pairs[0].matches[0]") == true, "\(failed.error ?? "")")
        #expect(try store.ranking(benchmark: "coco-person-dev", RankingQuery()).rows.isEmpty)
    }

    @Test func idempotencyKeysAndTheDailyQuota() throws {
        defer { cleanUp() }
        let clock = Clock(Date(timeIntervalSince1970: 1_800_000_000))
        let store = try Store(directory: folder, now: { clock.now })
        _ = try store.addBenchmark(groundTruth: truth, allowLeak: true)
        let team = try store.createTeam(name: "t").team
        let file = try TruthPredictions.make(groundTruth: truth, method: "m")
        let (first, created) = try store.submit(request(try upload(file, to: store), team: team, key: "k1"), quota: 2)
        #expect(created)
        let (again, createdAgain) = try store.submit(request(try upload(file, to: store), team: team, key: "k1"), quota: 2)
        #expect(!createdAgain && again.id == first.id, "a retry with the same key is the same submission")
        let other = try TruthPredictions.make(groundTruth: truth, method: "other")
        #expect(throws: LeaderboardError.idempotencyConflict(key: "k1")) {
            try store.submit(request(try upload(other, to: store), team: team, key: "k1"), quota: 2)
        }
        clock.now += 3600
        _ = try store.submit(request(try upload(other, to: store), team: team), quota: 2)
        #expect(throws: LeaderboardError.quotaExceeded(limit: 2, retryAfterSeconds: 82_800)) {
            try store.submit(request(try upload(other, to: store), team: team), quota: 2)
        }
        #expect(try store.submissions(team: team.id!).count == 2)
        clock.now += 82_801
        #expect(try store.submit(request(try upload(other, to: store), team: team), quota: 2).created)
        // No file left in the upload folder: each was stored or removed, refused ones too.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.uploadDirectory).isEmpty)
    }

    @Test func jobsLeftRunningAreQueuedAgainAtStart() throws {
        defer { cleanUp() }
        let store = try Store(directory: folder)
        _ = try store.addBenchmark(groundTruth: truth, allowLeak: true)
        let team = try store.createTeam(name: "t").team
        let submission = try store.submit(request(try upload(try TruthPredictions.make(groundTruth: truth, method: "m"), to: store), team: team), quota: 0).submission
        try store.database.write { db in try db.execute(sql: "UPDATE submission SET status = 'running' WHERE id = ?", arguments: [submission.id]) }
        let reopened = try Store(directory: folder)
        let jobs = EvaluationJobs(store: reopened, workers: 1)
        try jobs.start()
        defer { jobs.stop() }
        for _ in 0..<200 where try reopened.submission(id: submission.id!)?.status != "done" { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try reopened.submission(id: submission.id!)?.status == "done")
    }
}

/// A clock a test moves by hand.
final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ start: Date) { value = start }
    var now: Date {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
