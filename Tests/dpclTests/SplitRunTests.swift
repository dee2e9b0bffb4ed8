// `dpcl match --pairs` over a split with bad pairs (missing and undecodable images, no
// keypoint inside, a keypoint outside), and a split run in 3 shards merged by
// `dpcl predictions merge`: real processes, real dev images, the default model.
import Foundation
import TestSupport
import Testing

/// A split written to a temporary folder from coco-person-dev's pairs, with its images linked.
struct ScratchSplit {
    let directory: String
    var pairsFile: String { directory + "/pairs.json" }

    static let dev = Repository.shared.appendingPathComponent("data/coco-person-dev")
    static let modelConfig = Repository.root.appendingPathComponent("Config/models/dinov2-small.json").path

    /// The dev split's document, `edit`ed, with its images and any `extraFiles` (name → bytes).
    init(_ name: String, edit: (inout [String: Any]) throws -> Void, extraFiles: [String: Data] = [:]) throws {
        directory = NSTemporaryDirectory() + "dpcl-\(name)-" + UUID().uuidString
        let images = directory + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.dev.appendingPathComponent("images").path) {
            try FileManager.default.createSymbolicLink(atPath: images + "/" + file,
                                                       withDestinationPath: Self.dev.appendingPathComponent("images/\(file)").path)
        }
        for (file, bytes) in extraFiles { try bytes.write(to: URL(fileURLWithPath: directory + "/" + file)) }
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dev.appendingPathComponent("pairs.json"))) as? [String: Any])
        try edit(&document)
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: pairsFile))
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }

    static func dpcl(_ arguments: [String]) throws -> SubprocessResult {
        try Subprocess.run(Repository.builtProduct("dpcl"), arguments, idleSeconds: 300)
    }

    static func match(_ pairsFile: String, out: String, _ more: [String] = []) throws -> SubprocessResult {
        try dpcl(["match", "--pairs", pairsFile, "--out", out, "--model-config", modelConfig] + more)
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }
}

@Suite(.serialized) struct SplitRunTests {
    /// Six pairs of three sources (two each), so that three shards get one source each.
    static let goodPairs = ["person-0001", "person-0002", "person-0004", "person-0005", "person-0007", "person-0008"]

    /// The good pairs, and the first source's first instance with a keypoint 25 px above the top edge.
    static func good(_ document: inout [String: Any]) throws {
        let pairs = try #require(document["pairs"] as? [[String: Any]])
        document["pairs"] = pairs.filter { goodPairs.contains($0["id"] as! String) }
        var instances = try #require(document["instances"] as? [[String: Any]])
        let first = try #require(instances.firstIndex { $0["image"] as? String == pairs[0]["source"] as? String })
        var points = try #require(instances[first]["keypoints"] as? [[Double]])
        let labelled = try #require(points.firstIndex { $0[2] > 0 })
        points[labelled] = [points[labelled][0], -25, 2]
        instances[first]["keypoints"] = points
        document["instances"] = instances
    }

    @Test func badPairsAreReportedAndLeftOutAndTheRunGoesOn() throws {
        let good = try ScratchSplit("good", edit: Self.good)
        defer { good.cleanUp() }
        let bad = try ScratchSplit("bad", edit: { document in
            try Self.good(&document)
            var pairs = try #require(document["pairs"] as? [[String: Any]])
            var images = try #require(document["images"] as? [[String: Any]])
            var instances = try #require(document["instances"] as? [[String: Any]])
            let (source, target) = (pairs[0]["source"] as! String, pairs[0]["target"] as! String)
            let template = try #require(images.first { $0["id"] as? String == target })
            for (id, file) in [("missing", "images/missing.jpg"), ("broken", "broken.jpg"), ("outside", template["file"] as! String)] {
                var image = template
                image["id"] = id
                image["file"] = file
                images.append(image)
            }
            // Every keypoint of the only instance of image "outside" lies outside it.
            var instance = try #require(instances.first { $0["image"] as? String == target })
            instance["id"] = 999
            instance["image"] = "outside"
            instance["keypoints"] = (instance["keypoints"] as! [[Double]]).map { [-10, $0[1], $0[2]] }
            instances.append(instance)
            pairs.insert(["id": "bad-missing", "category": "person", "source": source, "target": "missing"], at: 1)
            pairs.insert(["id": "bad-broken", "category": "person", "source": "broken", "target": target], at: 3)
            pairs.append(["id": "bad-no-keypoints", "category": "person", "source": "outside", "target": target])
            document["pairs"] = pairs
            document["images"] = images
            document["instances"] = instances
        }, extraFiles: ["broken.jpg": Data("this is not a JPEG".utf8)])
        defer { bad.cleanUp() }

        let whole = try ScratchSplit.match(good.pairsFile, out: good.directory + "/predictions.json")
        #expect(whole.status == 0, "\(whole.stderrText)")
        let run = try ScratchSplit.match(bad.pairsFile, out: bad.directory + "/predictions.json", ["--report", bad.directory + "/report.json"])
        print("bad split: exit \(run.status)\n\(run.stderrText.split(separator: "\n").filter { !$0.hasPrefix("match: ") || $0.contains("failed") || $0.contains("pairs matched") }.joined(separator: "\n"))")
        #expect(run.status == 3, "\(run.stderrText)")
        for (pair, code) in [("bad-missing", "image-missing"), ("bad-broken", "image-undecodable"), ("bad-no-keypoints", "no-keypoints")] {
            #expect(run.stderrText.contains("match: pair \(pair) failed: \(code): "), "\(run.stderrText)")
        }
        #expect(run.stderrText.contains("6 of 9 pairs matched, 3 failed, 2 with warnings"), "\(run.stderrText)")

        let report = try ScratchSplit.json(bad.directory + "/report.json")
        let failed = try #require(report["failed"] as? [[String: String]])
        #expect(failed.map { $0["pair"]! } == ["bad-missing", "bad-broken", "bad-no-keypoints"])
        #expect(failed.map { $0["code"]! } == ["image-missing", "image-undecodable", "no-keypoints"])
        #expect(failed.allSatisfy { !($0["message"] ?? "").isEmpty })
        #expect(report["counts"] as? [String: Int] == ["pairs": 9, "matched": 6, "failed": 3, "with_warnings": 2])
        #expect((report["seconds"] as? Double ?? 0) > 0)
        let warned = try #require(report["warnings"] as? [[String: Any]])
        #expect(warned.map { $0["pair"] as! String } == ["person-0001", "person-0002"])

        // The good pairs' predictions are those of a run without the bad pairs.
        let predictions = try ScratchSplit.json(bad.directory + "/predictions.json")
        let reference = try ScratchSplit.json(good.directory + "/predictions.json")
        let entries = try #require(predictions["pairs"] as? [[String: Any]])
        #expect(entries.map { $0["pair"] as! String } == Self.goodPairs)
        #expect(NSArray(array: entries) == NSArray(array: try #require(reference["pairs"] as? [[String: Any]])))
        let warnings = try #require(entries[0]["warnings"] as? [[String: Any]])
        #expect(warnings.first?["code"] as? String == "keypoint-outside-image")
        #expect((entries[2]["warnings"] as? [Any])?.isEmpty == true)

        // --fail-fast stops at the first bad pair, exit 1, and writes nothing.
        let fast = try ScratchSplit.match(bad.pairsFile, out: bad.directory + "/fast.json", ["--fail-fast"])
        #expect(fast.status == 1, "\(fast.stderrText)")
        #expect(fast.stderrText.contains("match: pair bad-missing failed: image-missing"))
        #expect(!FileManager.default.fileExists(atPath: bad.directory + "/fast.json"))
    }

    @Test func threeShardsMergedAreOneWholeRun() throws {
        let split = try ScratchSplit("shards", edit: Self.good)
        defer { split.cleanUp() }
        let directory = split.directory
        let started = Date()
        let whole = try ScratchSplit.match(split.pairsFile, out: directory + "/whole.json")
        let wholeSeconds = Date().timeIntervalSince(started)
        #expect(whole.status == 0, "\(whole.stderrText)")
        var parts: [String] = []
        var sources: [Set<String>] = []
        let shardsStarted = Date()
        for index in 1...3 {
            let part = directory + "/part-\(index).json"
            let run = try ScratchSplit.match(split.pairsFile, out: part, ["--shard", "\(index)/3"])
            #expect(run.status == 0, "\(run.stderrText)")
            parts.append(part)
            let entries = try #require(try ScratchSplit.json(part)["pairs"] as? [[String: Any]])
            #expect(entries.count == 2, "one source of two pairs per shard")
            sources.append(Set(entries.map { ($0["pair"] as! String) }))
        }
        print("6 pairs: whole run \(String(format: "%.1f", wholeSeconds)) s, 3 shards one after another \(String(format: "%.1f", Date().timeIntervalSince(shardsStarted))) s")
        #expect(sources.reduce(Set<String>()) { $0.union($1) } == Set(Self.goodPairs))

        let merge = try ScratchSplit.dpcl(["predictions", "merge"] + parts + ["--pairs", split.pairsFile, "--out", directory + "/merged.json"])
        #expect(merge.status == 0, "\(merge.stderrText)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/merged.json")) == Data(contentsOf: URL(fileURLWithPath: directory + "/whole.json")),
                "the merged parts are byte for byte the whole run's file")

        let twice = try ScratchSplit.dpcl(["predictions", "merge", parts[0], parts[1], parts[0], "--pairs", split.pairsFile, "--out", directory + "/twice.json"])
        #expect(twice.status == 1)
        #expect(twice.stderrText.contains("is predicted twice: in \(parts[0]) and in \(parts[0])"), "\(twice.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/twice.json"))

        let missing = try ScratchSplit.dpcl(["predictions", "merge", parts[0], parts[1], "--pairs", split.pairsFile, "--out", directory + "/missing.json"])
        #expect(missing.status == 3)
        #expect(missing.stderrText.contains("2 of 6 pairs are in no part: "), "\(missing.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/missing.json"))
        let allowed = try ScratchSplit.dpcl(["predictions", "merge", parts[0], parts[1], "--pairs", split.pairsFile,
                                             "--out", directory + "/missing.json", "--allow-missing"])
        #expect(allowed.status == 0, "\(allowed.stderrText)")
        #expect((try ScratchSplit.json(directory + "/missing.json")["pairs"] as? [Any])?.count == 4)

        let badShard = try ScratchSplit.match(split.pairsFile, out: directory + "/x.json", ["--shard", "4/3"])
        #expect(badShard.status != 0 && badShard.stderrText.contains("I must be in 1...N"), "\(badShard.stderrText)")
    }
}
