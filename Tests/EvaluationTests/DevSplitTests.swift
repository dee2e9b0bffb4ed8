// Every dev split scored against its own ground truth turned into predictions (built here
// with Foundation's JSON, independently of the module's readers): 1.0 everywhere.
import Foundation
import Testing
@testable import Evaluation

enum PerfectSubmission {
    /// For every labelled source keypoint, one match on every target instance that labels
    /// the keypoint, at the truth; every masked target instance predicted with its own mask.
    static func build(groundTruth: Data) throws -> (json: Data, matches: Int) {
        let document = try #require(try JSONSerialization.jsonObject(with: groundTruth) as? [String: Any])
        let instances = try #require(document["instances"] as? [[String: Any]])
        let pairs = try #require(document["pairs"] as? [[String: Any]])
        func members(image: String, category: String) -> [[String: Any]] {
            instances.filter { "\($0["image"]!)" == image && "\($0["category"]!)" == category }
        }
        var total = 0
        var submitted: [[String: Any]] = []
        for pair in pairs {
            let category = "\(pair["category"]!)"
            let sources = members(image: "\(pair["source"]!)", category: category)
            let targets = members(image: "\(pair["target"]!)", category: category)
            var matches: [[String: Any]] = []
            for source in sources {
                let sourcePoints = try #require(source["keypoints"] as? [[Double]])
                for (keypoint, point) in sourcePoints.enumerated() where point[2] > 0 {
                    for target in targets {
                        let truth = try #require(target["keypoints"] as? [[Double]])[keypoint]
                        guard truth[2] > 0 else { continue }
                        matches.append(["source_instance": source["id"]!, "keypoint": keypoint, "x": truth[0], "y": truth[1],
                                        "score": 1.0, "target_instance": target["id"]!])
                    }
                }
            }
            total += matches.count
            let predicted = targets.compactMap { target -> [String: Any]? in
                guard let mask = target["segmentation"] else { return nil }
                return ["id": target["id"]!, "score": 1.0, "segmentation": mask]
            }
            submitted.append(["pair": pair["id"]!, "matches": matches, "instances": predicted])
        }
        let submission: [String: Any] = ["format": "misc-predictions/v1", "benchmark": document["name"]!,
                                         "method": "ground truth", "pairs": submitted]
        return (try JSONSerialization.data(withJSONObject: submission), total)
    }

    /// Whether some pair's target has two or more instances of its category with a labelled
    /// keypoint: where grouping is defined (FORMATS.md section 3.1).
    static func hasMultiInstanceTarget(groundTruth: Data) throws -> Bool {
        let document = try #require(try JSONSerialization.jsonObject(with: groundTruth) as? [String: Any])
        let instances = try #require(document["instances"] as? [[String: Any]])
        let pairs = try #require(document["pairs"] as? [[String: Any]])
        return pairs.contains { pair in
            instances.filter { instance in
                "\(instance["image"]!)" == "\(pair["target"]!)" && "\(instance["category"]!)" == "\(pair["category"]!)"
                    && ((instance["keypoints"] as? [[Double]]) ?? []).contains { $0[2] > 0 }
            }.count >= 2
        }
    }
}

@Suite struct DevSplitTests {
    @Test func thereAreDevSplits() throws {
        #expect(try TestSupport.devSplits().count >= 8)
    }

    @Test(arguments: try TestSupport.devSplits().map(\.path))
    func groundTruthScoresOneEverywhere(_ path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let benchmark = try GroundTruthReader.read(path: path)
        let (submission, matches) = try PerfectSubmission.build(groundTruth: data)
        #expect(matches > 0)
        let scores = try Evaluator(benchmark: benchmark).evaluate(source: MemoryByteSource(Array(submission), chunk: 4093))
        let masked = benchmark.instances.contains { $0.mask != nil }
        #expect(scores.ignoredMatches == 0)
        for summary in [scores.overall] + scores.categories.map(\.summary) {
            #expect(summary.groups > 0)
            for alpha in summary.alphas {
                #expect(alpha.mpck == 1.0 && alpha.recall == 1.0 && alpha.f1 == 1.0, "\(path) at \(alpha.alpha)")
            }
            #expect(summary.miou == (masked ? 1.0 : nil), "\(path): mIoU \(String(describing: summary.miou))")
            // target_instance is the true instance: a perfect grouping wherever one is defined.
            if let grouping = summary.grouping {
                #expect(grouping.score == 1.0, "\(path): \(grouping)")
            }
        }
        let multiInstance = try PerfectSubmission.hasMultiInstanceTarget(groundTruth: data)
        #expect((scores.overall.grouping != nil) == multiInstance, "\(path)")
    }

    @Test func gzippedSubmissionThroughTheExecutable() throws {
        let split = try #require(try TestSupport.devSplits().first { $0.path.contains("coco-person-dev") })
        let (submission, _) = try PerfectSubmission.build(groundTruth: try Data(contentsOf: split))
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let packed = folder.appendingPathComponent("predictions.json.gz")
        try Data(Gzip.compress(Array(submission))).write(to: packed)
        let run = try DPCLProcess.run(["eval", "--json", split.path, packed.path])
        #expect(run.status == 0, "\(run.stderr)")
        let scores = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let overall = try #require(scores["overall"] as? [String: Any])
        let alphas = try #require(overall["alphas"] as? [String: [String: Double]])
        #expect(Set(alphas.keys) == ["0.05", "0.10", "0.15", "1.00"])
        #expect(alphas.values.allSatisfy { $0["mpck"] == 1 && $0["recall"] == 1 && $0["f1"] == 1 })
        #expect(overall["miou"] as? Double == 1.0)
        let grouping = try #require(overall["grouping"] as? [String: Any])
        #expect(grouping["score"] as? Double == 1 && grouping["same"] as? Double == 1 && grouping["different"] as? Double == 1)
        #expect((grouping["match_pairs"] as? Int ?? 0) > 0)
    }
}
