// The pages in a real browser: headless Chromium drives the match page on a dev pair and a
// leaderboard page (Tests/ServiceTests/browser_check.py); the screenshots are kept in
// test-artifacts/browser/ for CI to collect.
import Foundation
import TestSupport
import Testing
@testable import Service

@Suite(.serialized) struct BrowserTests {
    @Test func theMatchPageDrawsTheAPIsMatchesAndTheLeaderboardPageShowsItsRanking() throws {
        let admin = "browser-admin"
        let service = try LiveService(model: try ServedModel.host.get()) { configuration in
            configuration.leaderboard.adminToken = admin
            configuration.leaderboard.submissionQuota = 0
            configuration.examplesDirectory = Repository.shared.appending(path: "data").path
        }
        defer { service.stop() }
        // A benchmark with one scored submission, for the leaderboard page.
        let split = Repository.shared.appending(path: "data/coco-person-dev")
        let truth = split.appending(path: "pairs.json").path
        let token = try #require(try service.createTeam("browser-team", admin: admin))
        #expect(try service.addBenchmark(truth, admin: admin).status == 201)
        let predictions = FileManager.default.temporaryDirectory.appending(path: "browser-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: predictions) }
        try TruthPredictions.make(groundTruth: truth, method: "truth <as a method>").write(to: predictions)
        let submitted = try service.curl(["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
                                          "--data-binary", "@\(predictions.path)"], "/v1/benchmarks/coco-person-dev/submissions")
        #expect(submitted.status == 202)
        for _ in 0..<200 where !(try service.curl(["-H", "Authorization: Bearer \(token)"], submitted.headers["location"] ?? "").text
            .contains("\"done\"")) { Thread.sleep(forTimeInterval: 0.05) }

        let artifacts = Repository.root.appending(path: "test-artifacts/browser")
        // Run directly rather than through Venv.runPython: a failed check's reason is on stdout.
        #expect(FileManager.default.isExecutableFile(atPath: Repository.python.path), "no tooling venv: run make setup")
        let result = try Subprocess.run(Repository.python.path, [Repository.root.appending(path: "Tests/ServiceTests/browser_check.py").path,
                                        "http://127.0.0.1:\(service.server.port)", split.path, "2", "coco-person-dev", artifacts.path],
                                        idleSeconds: 600)
        #expect(result.status == 0, "\(result.stdoutText) \(result.stderrText)")
        let summary = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.stdoutText)")
        #expect(summary["ok"] as? Bool == true, "\(summary)")
        #expect((summary["matches"] as? Int ?? 0) > 0 && (summary["leaderboard_rows"] as? Int) == 1)
        for name in ["match-1280x800.png", "match-390x844.png", "leaderboard-1280x800.png", "leaderboard-390x844.png"] {
            let bytes = try Data(contentsOf: artifacts.appending(path: name))
            #expect(bytes.count > 10_000 && bytes.starts(with: [0x89, 0x50, 0x4e, 0x47]), "\(name) is a real screenshot")
        }
        print("browser check: \(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) in \(String(format: "%.1f", result.seconds)) s")
    }
}
