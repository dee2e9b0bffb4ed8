// `dpcl leaderboard` on a data directory: a team, a benchmark with its images, the baseline
// (the default matcher on the public inputs) submitted and scored, and the listing.
import Foundation
import TestSupport
import Testing
@testable import Leaderboard

@Suite struct CommandTests {
    @Test func operatorsCreateTeamsAddBenchmarksAndSubmitTheBaseline() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "leaderboard-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dpcl = Repository.builtProduct("dpcl")
        let truth = Repository.shared.appending(path: "data/coco-person-dev/pairs.json").path
        let team = try Subprocess.run(dpcl, ["leaderboard", "create-team", "lab", "--data-dir", folder])
        #expect(team.status == 0, "\(team.stderrText)")
        let token = try #require(team.stdoutText.split(separator: "\n").last.map(String.init))
        #expect(token.hasPrefix("dpcl_"))
        let again = try Subprocess.run(dpcl, ["leaderboard", "create-team", "lab", "--data-dir", folder])
        #expect(again.status != 0 && again.stderrText.contains("already exists"))
        // Every target of the dev split is a source too: refused in one line, then allowed.
        let refused = try Subprocess.run(dpcl, ["leaderboard", "add-benchmark", truth, "--data-dir", folder])
        #expect(refused.status != 0 && refused.stderrText.contains("100.0% of the target instances (12 of 12) appear in the public inputs")
                && refused.stderrText.contains("--disjoint") && refused.stderrText.split(separator: "\n").count == 1, "\(refused.stderrText)")
        let added = try Subprocess.run(dpcl, ["leaderboard", "add-benchmark", truth, "--title", "COCO dev", "--allow-leak", "--data-dir", folder])
        #expect(added.status == 0 && added.stdoutText.contains("12 pairs")
                && added.stdoutText.contains("leak allowed: 100.0% of the target instances (12 of 12)"), "\(added.stderrText)")
        let baseline = try Subprocess.run(dpcl, ["leaderboard", "submit-baseline", "--benchmark", "coco-person-dev", "--data-dir", folder])
        #expect(baseline.status == 0 && baseline.stdoutText.contains(": done"), "\(baseline.stdoutText) \(baseline.stderrText)")
        // The baseline is ranked, with the matcher's scores (the figures docs/MATCHING.md gives).
        let store = try Store(directory: folder)
        let ranking = try store.ranking(benchmark: "coco-person-dev", RankingQuery(alpha: 0.10, metric: .f1))
        #expect(ranking.rows.map(\.team) == ["baseline"])
        #expect((ranking.rows.first?.value ?? 0) > 0.4 && (ranking.rows.first?.value ?? 1) < 0.6)
        #expect(try store.team(token: token)?.name == "lab")
        let list = try Subprocess.run(dpcl, ["leaderboard", "list", "--data-dir", folder])
        #expect(list.stdoutText.contains("coco-person-dev  public  12 pairs  images 4/4"))
        #expect(list.stdoutText.contains("baseline  done  dpcl zero-shot (baseline)"))
        let missing = try Subprocess.run(dpcl, ["leaderboard", "submit-baseline", "--benchmark", "nope", "--data-dir", folder])
        #expect(missing.status != 0 && missing.stderrText.contains("no benchmark named nope"))
    }
}
