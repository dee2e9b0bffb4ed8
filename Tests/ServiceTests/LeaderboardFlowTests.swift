// The leaderboard through the live server with curl: teams, a benchmark from a dev split,
// its inputs and images, submissions of the truth and of a perturbed copy scored exactly as
// `dpcl eval` scores them, the rankings as JSON, CSV and HTML, and every auth failure.
import Foundation
import TestSupport
import Testing
@testable import Service

@Suite(.serialized) struct LeaderboardFlowTests {
    static let admin = "admin-secret-for-tests"
    let split = Repository.shared.appendingPathComponent("data/coco-person-dev")
    var truth: String { split.appendingPathComponent("pairs.json").path }
    let work: URL

    init() throws {
        work = FileManager.default.temporaryDirectory.appending(path: "leaderboard-flow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    func service(quota: Int = 0, maxSubmissionBytes: Int? = nil) throws -> LiveService {
        try LiveService { configuration in
            configuration.leaderboard.adminToken = Self.admin
            configuration.leaderboard.submissionQuota = quota
            configuration.leaderboard.maxFailedAuthPerMinute = 5
            if let maxSubmissionBytes { configuration.leaderboard.maxSubmissionBytes = maxSubmissionBytes }
        }
    }

    func json(_ fetched: Fetched) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: fetched.body) as? [String: Any], "\(fetched.status) \(fetched.text)")
    }

    func bearer(_ token: String) -> [String] { ["-H", "Authorization: Bearer \(token)"] }

    func createTeam(_ service: LiveService, _ name: String) throws -> String {
        let created = try service.curl(bearer(Self.admin) + ["-H", "Content-Type: application/json", "--data", #"{"name": "\#(name)"}"#], "/v1/teams")
        #expect(created.status == 201, "\(created.text)")
        return try #require(try json(created)["token"] as? String)
    }

    /// The dev split as a benchmark: the ground truth and every image in one form (its leak
    /// allowed: every image is some pair's source).
    func addBenchmark(_ service: LiveService) throws {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        let files = (document["images"] as! [[String: Any]]).map { $0["file"] as! String }
        let form = ["-F", "pairs=@\(truth);type=application/json"] + files.flatMap { ["-F", "\($0)=@\(split.appendingPathComponent($0).path)"] }
        let added = try service.curl(bearer(Self.admin) + form, "/v1/benchmarks?title=COCO%20people%20(dev)&allow_leak=1")
        #expect(added.status == 201, "\(added.text)")
        let body = try json(added)
        #expect(body["name"] as? String == "coco-person-dev" && body["images_complete"] as? Bool == true)
    }

    func submit(_ service: LiveService, token: String, file: URL, extra: [String] = []) throws -> Fetched {
        try service.curl(bearer(token) + ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"] + extra,
                         "/v1/benchmarks/coco-person-dev/submissions")
    }

    /// Polls the submission until it is done or failed.
    func finished(_ service: LiveService, _ location: String, token: String) throws -> [String: Any] {
        for _ in 0..<600 {
            let body = try json(try service.curl(bearer(token), location))
            if ["done", "failed"].contains(body["status"] as? String ?? "") { return body }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("\(location) did not finish")
        return [:]
    }

    @Test func theWholeFlowScoresExactlyAsDpclEvalAndRanksTheTruthFirst() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let service = try service()
        defer { service.stop() }
        let truthTeam = try createTeam(service, "oracle"), shiftedTeam = try createTeam(service, "shifted")
        try addBenchmark(service)

        // The inputs: every pair, the source side only; images as uploaded.
        let inputs = try json(try service.get("/v1/benchmarks/coco-person-dev/inputs"))
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        #expect((inputs["pairs"] as? [Any])?.count == (document["pairs"] as! [Any]).count)
        let image = (document["images"] as! [[String: Any]])[0]["file"] as! String
        let fetched = try service.get("/v1/benchmarks/coco-person-dev/images/\(image)")
        #expect(fetched.status == 200 && fetched.headers["content-type"] == "image/jpeg")
        #expect(fetched.body == (try Data(contentsOf: split.appendingPathComponent(image))))

        // The truth as predictions (plain), and a copy moved 100 px (gzip).
        let perfect = work.appending(path: "perfect.json"), shifted = work.appending(path: "shifted.json")
        try TruthPredictions.make(groundTruth: truth, method: "oracle").write(to: perfect)
        try TruthPredictions.make(groundTruth: truth, method: "shifted by 100 px", shift: 100).write(to: shifted)
        _ = try Subprocess.run("/usr/bin/gzip", ["-k", shifted.path])
        let first = try submit(service, token: truthTeam, file: perfect, extra: ["-H", "Idempotency-Key: oracle-1"])
        #expect(first.status == 202 && first.headers["location"]?.hasPrefix("/v1/submissions/") == true, "\(first.text)")
        let second = try service.curl(bearer(shiftedTeam) + ["-H", "Content-Type: application/gzip", "--data-binary", "@\(shifted.path).gz"],
                                      "/v1/benchmarks/coco-person-dev/submissions")
        #expect(second.status == 202, "\(second.text)")
        // A retry under the same key is the same submission.
        let retry = try submit(service, token: truthTeam, file: perfect, extra: ["-H", "Idempotency-Key: oracle-1"])
        #expect(retry.status == 202 && retry.headers["location"] == first.headers["location"] && retry.headers["idempotent-replayed"] == "true")

        let dpcl = Repository.builtProduct("dpcl")
        for (response, file, token) in [(first, perfect, truthTeam), (second, shifted, shiftedTeam)] {
            let done = try finished(service, response.headers["location"] ?? "", token: token)
            #expect(done["status"] as? String == "done", "\(done)")
            let expected = try Subprocess.run(dpcl, ["eval", truth, file.path, "--json"])
            let reference = try JSONSerialization.jsonObject(with: expected.stdout) as? NSDictionary
            #expect((done["scores"] as? NSDictionary) == reference, "the leaderboard's scores are dpcl eval's")
        }

        // JSON: the truth first, at 1.0.
        let ranking = try json(try service.get("/v1/benchmarks/coco-person-dev/leaderboard?alpha=0.10&metric=f1"))
        let rows = try #require(ranking["rows"] as? [[String: Any]])
        #expect(rows.map { $0["team"] as? String } == ["oracle", "shifted"])
        #expect(rows[0]["value"] as? Double == 1.0 && (rows[1]["value"] as? Double ?? 1) < 1.0)
        // CSV by Accept.
        let csv = try service.curl(["-H", "Accept: text/csv"], "/v1/benchmarks/coco-person-dev/leaderboard?metric=mpck")
        #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
        let lines = csv.text.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(lines.count == 3 && lines[0][5] == "mpck@0.1000" && lines[1][1] == "oracle" && lines[1][5] == "1.0000")
        // HTML by Accept, parsed as a document.
        let html = try service.curl(["-H", "Accept: text/html"], "/v1/benchmarks/coco-person-dev/leaderboard")
        #expect(html.headers["content-type"]?.hasPrefix("text/html") == true)
        let page = work.appending(path: "page.html")
        try html.body.write(to: page)
        let parsed = try JSONSerialization.jsonObject(
            with: try Venv.runPython([Repository.root.appending(path: "Tests/ServiceTests/html_tables.py").path, page.path]).stdout) as! [String: Any]
        #expect(parsed["title"] as? String == "COCO people (dev) leaderboard")
        let tables = parsed["tables"] as! [String: [[String]]]
        #expect(tables["ranking"]?.count == 3 && tables["ranking"]?[1].prefix(2) == ["1", "oracle"] && tables["ranking"]?[1].last == "1.0000")
        #expect(tables["categories"]?[0].last == "person" && tables["categories"]?[2][1] == "shifted")
        print("leaderboard flow: " + rows.map { "\($0["rank"] ?? "") \($0["team"] ?? "") f1@0.10 \($0["value"] ?? "")" }.joined(separator: "; ")
              + "; CSV \(lines.count - 1) rows, HTML \(tables["ranking"]?.count ?? 0) rows; both submissions' scores equal dpcl eval --json")
    }

    @Test func everyAuthFailureIsAnsweredAndTheTruthIsNeverServed() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let service = try service(quota: 1)
        defer { service.stop() }
        let team = try createTeam(service, "team-a"), other = try createTeam(service, "team-b")
        try addBenchmark(service)
        let teams: [String] = ["-H", "Content-Type: application/json", "--data", #"{"name": "x"}"#]
        // No token, a bad scheme, a bad token: 401 with a challenge; the wrong role: 403.
        let none = try service.curl(teams, "/v1/teams")
        #expect(none.status == 401 && none.headers["www-authenticate"] == "Bearer" && none.text.contains("unauthorized"))
        #expect(try service.curl(["-H", "Authorization: Basic abc"] + teams, "/v1/teams").status == 401)
        #expect(try service.curl(bearer(team) + teams, "/v1/teams").status == 403)
        let file = work.appending(path: "perfect.json")
        try TruthPredictions.make(groundTruth: truth, method: "m").write(to: file)
        #expect(try submit(service, token: Self.admin, file: file).status == 403, "the admin is not a team")
        #expect(try submit(service, token: "dpcl_" + String(repeating: "0", count: 64), file: file).status == 401)
        #expect(try service.curl(["-X", "PUT", "--data-binary", "@\(file.path)"] + bearer(team),
                                 "/v1/benchmarks/coco-person-dev/images/images/x.jpg").status == 403)
        // A submission is its team's (and the admin's) to read.
        let submitted = try submit(service, token: team, file: file)
        #expect(submitted.status == 202)
        let location = submitted.headers["location"] ?? ""
        #expect(try service.curl(bearer(other), location).status == 404)
        #expect(try service.get(location).status == 401)
        #expect(try service.curl(bearer(Self.admin), location).status == 200)
        // Over the quota: 429 with Retry-After, before the body is read.
        let over = try submit(service, token: team, file: file)
        #expect(over.status == 429 && Int(over.headers["retry-after"] ?? "") ?? 0 > 80_000, "\(over.text)")
        // Not JSON: 422 at once.
        let garbage = work.appending(path: "garbage.bin")
        try Data("garbage".utf8).write(to: garbage)
        #expect(try submit(service, token: other, file: garbage).status == 422)
        // Repeated bad tokens from one client: slowed down with 429.
        var statuses: [Int] = []
        for _ in 0..<8 { statuses.append(try service.curl(bearer("wrong"), "/v1/teams").status) }
        #expect(statuses.prefix(3).allSatisfy { $0 == 401 } && statuses.last == 429, "\(statuses)")
        // The ground truth: no route serves it (no traversal out of the images folder either).
        let hash = try Subprocess.run("/usr/bin/sha256sum", [truth]).stdoutText.split(separator: " ")[0]
        for path in ["/v1/benchmarks/coco-person-dev/images/..%2F..%2Fground-truth%2F\(hash).json",
                     "/v1/benchmarks/coco-person-dev/images/../../ground-truth/\(hash).json",
                     "/v1/benchmarks/coco-person-dev/images/pairs.json", "/v1/benchmarks/coco-person-dev/ground-truth"] {
            let answer = try service.curl(["--path-as-is"], path)
            #expect([400, 404].contains(answer.status) && !answer.text.contains("\"keypoints\""), "\(path): \(answer.status)")
        }
        // The inputs hold the instances of each pair's source (image and category) only.
        let inputs = try json(try service.get("/v1/benchmarks/coco-person-dev/inputs"))
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        let pairs = document["pairs"] as! [[String: String]]
        let sources = Set(pairs.map { $0["source"]! + "/" + $0["category"]! })
        let shown = try #require(inputs["instances"] as? [[String: Any]])
        #expect(shown.allSatisfy { sources.contains("\($0["image"] as! String)/\($0["category"] as! String)") })
        #expect(shown.count == (document["instances"] as! [[String: Any]]).filter { sources.contains("\($0["image"] as! String)/\($0["category"] as! String)") }.count)
        // No plaintext token in the database (file and its WAL).
        for name in ["leaderboard.sqlite", "leaderboard.sqlite-wal"] {
            let bytes = (try? Data(contentsOf: service.dataDirectory.appending(path: name))) ?? Data()
            #expect(bytes.range(of: Data(team.utf8)) == nil && bytes.range(of: Data(other.utf8)) == nil && bytes.range(of: Data(Self.admin.utf8)) == nil)
        }
    }

    @Test func aBenchmarkWhoseInputsLeakIsRefusedUnlessAllowedAndItsLeakIsReported() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let service = try service()
        defer { service.stop() }
        let admin = bearer(Self.admin)
        // Every image of the dev split is a source: all 12 target instances are in the inputs.
        let refused = try service.addBenchmark(truth, admin: Self.admin, query: "visibility=hidden")
        let error = try json(refused)["error"] as? [String: Any]
        #expect(refused.status == 422 && error?["code"] as? String == "benchmark-leaks-truth", "\(refused.text)")
        let message = error?["message"] as? String ?? ""
        #expect(message.contains("100.0% of the target instances (12 of 12) appear in the public inputs") && message.contains("--disjoint"))
        #expect(try service.curl(admin, "/v1/benchmarks/coco-person-dev").status == 404, "nothing was added")
        #expect(try service.addBenchmark(truth, admin: Self.admin, query: "allow_leak=yes").status == 400)
        // Allowed: added, and the leak reported with the choice, in the answer, on GET and on its page.
        let added = try service.addBenchmark(truth, admin: Self.admin, query: "visibility=hidden&allow_leak=1")
        #expect(added.status == 201, "\(added.text)")
        let expected: NSDictionary = ["share": 1.0, "target_instances": 12, "leaked_instances": 12, "allowed": true]
        #expect(try json(added)["leak"] as? NSDictionary == expected)
        #expect(try json(try service.curl(admin, "/v1/benchmarks/coco-person-dev"))["leak"] as? NSDictionary == expected)
        let page = try service.curl(admin, "/leaderboards/coco-person-dev")
        #expect(page.status == 200 && page.text.contains("Leak: 100.0% of the target instances (12 of 12) appear in the public inputs"))
        // A split whose sources and targets are disjoint: leak 0, accepted as it is.
        let disjoint = work.appending(path: "disjoint.json").path
        try RePairedSplit.write(from: truth, name: "coco-disjoint", pairs: [(0, 2), (0, 3), (1, 2), (1, 3)], to: disjoint)
        let counts = try RePairedSplit.instanceCounts(truth)
        let clean = try service.addBenchmark(disjoint, admin: Self.admin, query: "visibility=hidden")
        #expect(clean.status == 201, "\(clean.text)")
        let leak = try json(clean)["leak"] as? NSDictionary
        #expect(leak == ["share": 0.0, "target_instances": counts[2] + counts[3], "leaked_instances": 0, "allowed": false] as NSDictionary)
        #expect(try service.curl(admin, "/leaderboards/coco-disjoint").text.contains("Leak: none"))
        print("leak: coco-person-dev refused with 422 (12 of 12 target instances in the inputs), added with allow_leak=1; "
              + "a disjoint re-pairing: \(leak?["leaked_instances"] ?? "?") of \(leak?["target_instances"] ?? "?"), accepted")
    }

    /// The contract's enums are the server's: a value outside one is a 400 naming the parameter.
    @Test func queryValuesOutsideTheContractAreRefused() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let service = try service()
        defer { service.stop() }
        let team = try createTeam(service, "team-a")
        try addBenchmark(service)
        for (path, code) in [("leaderboard?format=xml", "invalid-format"), ("leaderboard?all=yes", "invalid-all"),
                             ("leaderboard?alpha=0.2", "invalid-alpha"), ("leaderboard?alpha=-58800", "invalid-alpha")] {
            let answer = try service.get("/v1/benchmarks/coco-person-dev/" + path)
            #expect(answer.status == 400 && answer.text.contains(code), "\(path): \(answer.status) \(answer.text)")
        }
        #expect(try service.get("/leaderboards/coco-person-dev?all=on").status == 400)
        #expect(try service.get("/v1/benchmarks/coco-person-dev/leaderboard?alpha=0.1&all=1&format=csv").status == 200)
        let file = work.appending(path: "perfect.json")
        try TruthPredictions.make(groundTruth: truth, method: "m").write(to: file)
        let refused = try service.curl(bearer(team) + ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"],
                                       "/v1/benchmarks/coco-person-dev/submissions?anonymous=true")
        #expect(refused.status == 400 && refused.text.contains("invalid-anonymous"), "\(refused.text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: service.dataDirectory.appending(path: "submissions").path).isEmpty)
    }

    @Test func anOversizedSubmissionIs413AndLeavesNothingBehind() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let service = try service(maxSubmissionBytes: 4096)
        defer { service.stop() }
        let team = try createTeam(service, "team-a")
        try addBenchmark(service)
        let file = work.appending(path: "perfect.json")
        try TruthPredictions.make(groundTruth: truth, method: "m").write(to: file)
        let answer = try submit(service, token: team, file: file)
        #expect(answer.status == 413 && answer.text.contains("body-too-large"), "\(answer.text)")
        for folder in ["uploads", "submissions"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: service.dataDirectory.appending(path: folder).path).isEmpty)
        }
        #expect(try json(try service.curl(bearer(Self.admin), "/v1/benchmarks/coco-person-dev/leaderboard?all=1"))["rows"] as? [Any] != nil)
    }
}

/// `dpcl leaderboard … --server`: the operators' commands through a running server's API.
@Suite struct LeaderboardCommandThroughAPITests {
    @Test func createTeamAddBenchmarkAndListThroughTheAPI() throws {
        let admin = "cli-admin"
        let service = try LiveService { $0.leaderboard.adminToken = admin }
        defer { service.stop() }
        let dpcl = Repository.builtProduct("dpcl")
        let server = ["--server", "http://127.0.0.1:\(service.server.port)", "--token", admin]
        let team = try Subprocess.run(dpcl, ["leaderboard", "create-team", "remote-lab"] + server)
        #expect(team.status == 0 && (team.stdoutText.split(separator: "\n").last ?? "").hasPrefix("dpcl_"), "\(team.stderrText)")
        let truth = Repository.shared.appending(path: "data/macaque-dev/pairs.json").path
        let refused = try Subprocess.run(dpcl, ["leaderboard", "add-benchmark", truth, "--hidden"] + server)
        #expect(refused.status != 0 && refused.stderrText.contains("422") && refused.stderrText.contains("benchmark-leaks-truth")
                && refused.stderrText.contains("100.0% of the target instances (2 of 2)"), "\(refused.stderrText)")
        let added = try Subprocess.run(dpcl, ["leaderboard", "add-benchmark", truth, "--title", "Macaques", "--allow-leak"] + server)
        #expect(added.status == 0 && added.stdoutText.contains("benchmark macaque-dev added: 2 pairs")
                && added.stdoutText.contains("leak allowed: 100.0% of the target instances (2 of 2)"), "\(added.stdoutText) \(added.stderrText)")
        let listed = try Subprocess.run(dpcl, ["leaderboard", "list"] + server)
        #expect(listed.stdoutText.contains("macaque-dev  public  2 pairs  images 2/2  Macaques") && listed.stdoutText.contains("remote-lab"),
                "\(listed.stdoutText)")
        // The API's refusals come back as one line and a non-zero exit.
        let again = try Subprocess.run(dpcl, ["leaderboard", "create-team", "remote-lab"] + server)
        #expect(again.status != 0 && again.stderrText.contains("409") && again.stderrText.contains("already exists"))
        let wrong = try Subprocess.run(dpcl, ["leaderboard", "list", "--server", "http://127.0.0.1:\(service.server.port)", "--token", "nope"])
        #expect(wrong.status != 0 && wrong.stderrText.contains("401"))
    }
}
