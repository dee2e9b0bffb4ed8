// The docs run: every `sh` block of docs/API.md and of docs/DATASETS.md, in order, as one bash
// script each, and the README's `sh` blocks, against a live server with the real model, so
// that documented commands cannot rot.
import Foundation
import TestSupport
import Testing
@testable import Service

@Suite struct DocsTests {
    /// The `sh` blocks of a Markdown file, in order.
    static func shellBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = [], current: [String]?
        for line in markdown.components(separatedBy: "\n") {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```sh" {
                current = []
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// Runs the `sh` blocks of the guide at `path` in order, as one bash script in a new work
    /// folder (`$WORK`), with `environment`; the folder is removed by the caller.
    static func runGuide(_ path: String, minimumBlocks: Int, environment: [String]) throws -> (SubprocessResult, URL) {
        let blocks = shellBlocks(try String(contentsOf: Repository.root.appending(path: path), encoding: .utf8))
        #expect(blocks.count >= minimumBlocks)
        let work = FileManager.default.temporaryDirectory.appending(path: "docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let script = "set -euo pipefail\ncd \"$WORK\"\n" + blocks.joined(separator: "\n")
        let result = try Subprocess.run("/usr/bin/env", environment + ["WORK=\(work.path)", "/bin/bash", "-c", script], idleSeconds: 300)
        #expect(result.status == 0, "\(path) failed: \(result.stderrText.suffix(2000)) \(result.stdoutText.suffix(2000))")
        return (result, work)
    }

    static func json(_ url: URL) throws -> [String: Any]? {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    }

    @Test func theCurlCommandsOfTheAPIGuideRunAsWritten() throws {
        let admin = "docs-admin-token"
        let service = try LiveService(model: try ServedModel.host.get()) { configuration in
            configuration.leaderboard.adminToken = admin
            configuration.leaderboard.submissionQuota = 0
        }
        defer { service.stop() }
        let split = Repository.shared.appending(path: "data/coco-person-dev").path
        let (result, work) = try Self.runGuide("docs/API.md", minimumBlocks: 10, environment: [
            "BASE=http://127.0.0.1:\(service.server.port)", "ADMIN=\(admin)", "SPLIT=\(split)",
        ])
        defer { try? FileManager.default.removeItem(at: work) }
        // What the blocks left behind is what they promise.
        let match = try Self.json(work.appending(path: "match.json"))
        #expect(((match?["matches"] as? [Any])?.count ?? 0) > 0)
        #expect(try Data(contentsOf: work.appending(path: "match.png")).starts(with: [0x89, 0x50, 0x4e, 0x47]))
        let proposal = try Self.json(work.appending(path: "proposal.json"))
        #expect(((proposal?["instances"] as? [Any])?.count ?? 0) >= 2, "\(proposal ?? [:])")
        #expect(try Self.json(work.appending(path: "set.json"))?["images"] as? Int == 3)
        let status = try Self.json(work.appending(path: "status.json"))
        #expect(status?["status"] as? String == "done", "\(status ?? [:])")
        let csv = try String(contentsOf: work.appending(path: "leaderboard.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("rank,team,submission,method,submitted,mpck@0.1000") && csv.contains("docs-team"))
        #expect(result.stdoutText.contains("matches on"))
    }

    /// From a COCO file of the dev data to a scored submission: a disjoint split, 3 shards as
    /// local processes, the merge, the score, a benchmark with leak 0 and a team's submission.
    @Test func theCOCOFlowRunsAsWritten() throws {
        let admin = "datasets-admin-token"
        let service = try LiveService(model: try ServedModel.host.get()) { configuration in
            configuration.leaderboard.adminToken = admin
        }
        defer { service.stop() }
        let data = Repository.shared.appending(path: "data")
        let (result, work) = try Self.runGuide("docs/DATASETS.md", minimumBlocks: 4, environment: [
            "DPCL=\(Repository.builtProduct("dpcl"))", "MODEL=\(Repository.root.appending(path: "Config/models/dinov2-small.json").path)",
            "BASE=http://127.0.0.1:\(service.server.port)", "ADMIN=\(admin)",
            "COCO=\(data.appending(path: "coco-format/coco.json").path)", "IMAGES=\(data.appending(path: "coco-person-dev/images").path)",
        ])
        defer { try? FileManager.default.removeItem(at: work) }
        print("docs/DATASETS.md: \(result.stdoutText)")
        let benchmark = try Self.json(work.appending(path: "benchmark.json"))
        #expect((benchmark?["leak"] as? [String: Any])?["share"] as? Double == 0, "\(benchmark ?? [:])")
        let status = try Self.json(work.appending(path: "coco-status.json"))
        #expect(status?["status"] as? String == "done", "\(status ?? [:])")
        let leaderboard = try Self.json(work.appending(path: "coco-leaderboard.json"))
        #expect((leaderboard?["rows"] as? [Any])?.count == 1, "\(leaderboard ?? [:])")
    }

    /// The README's example: a skier matched onto a crowd, as JSON and as a picture.
    @Test func theREADMEsCurlBlocksRunAsWritten() throws {
        let service = try LiveService(model: try ServedModel.host.get())
        defer { service.stop() }
        let readme = try String(contentsOf: Repository.root.appending(path: "README.md"), encoding: .utf8)
        let blocks = Self.shellBlocks(readme)
        #expect(!blocks.isEmpty && blocks.allSatisfy { $0.contains("curl") }, "the README's sh blocks are its curl examples")
        let files = try PairFiles()
        defer { files.cleanUp() }
        let work = URL(fileURLWithPath: files.directory)
        try FileManager.default.copyItem(atPath: files.source, toPath: work.appending(path: "skier.jpg").path)
        try FileManager.default.copyItem(atPath: files.target, toPath: work.appending(path: "crowd.jpg").path)
        let script = "set -euo pipefail\ncd \"$WORK\"\n"
            + blocks.joined(separator: "\n").replacingOccurrences(of: "http://127.0.0.1:8080", with: "http://127.0.0.1:\(service.server.port)")
        let result = try Subprocess.run("/usr/bin/env", ["WORK=\(work.path)", "/bin/bash", "-c", script], idleSeconds: 300)
        #expect(result.status == 0, "README.md failed: \(result.stderrText.suffix(2000))")
        #expect(result.stdoutText.contains("\"matches\"") && result.stdoutText.contains("\"timings_ms\""))
        #expect(try Data(contentsOf: work.appending(path: "matches.png")).starts(with: [0x89, 0x50, 0x4e, 0x47]))
    }
}
