// Differential check against an independent implementation: noisy submissions built from
// every dev split (moved, dropped and stray matches; masks of other instances) scored by
// this module and by tools/eval_reference.py (numpy + scipy) in the project venv.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

enum NoisySubmission {
    static func build(groundTruth: Data, seed: UInt64) throws -> Data {
        var random = SplitMix64(seed: seed)
        let document = try #require(try JSONSerialization.jsonObject(with: groundTruth) as? [String: Any])
        let instances = try #require(document["instances"] as? [[String: Any]])
        let images = try #require(document["images"] as? [[String: Any]])
        let masks = instances.compactMap { $0["segmentation"] }
        func members(image: String, category: String) -> [[String: Any]] {
            instances.filter { "\($0["image"]!)" == image && "\($0["category"]!)" == category }
        }
        var submitted: [[String: Any]] = []
        for pair in try #require(document["pairs"] as? [[String: Any]]) {
            if random.next() % 7 == 0 { continue }  // a missing pair
            let category = "\(pair["category"]!)"
            let target = try #require(images.first { "\($0["id"]!)" == "\(pair["target"]!)" })
            let scale = max(target["width"] as! Double, target["height"] as! Double)
            let targets = members(image: "\(pair["target"]!)", category: category)
            var matches: [[String: Any]] = []
            for source in members(image: "\(pair["source"]!)", category: category) {
                let points = try #require(source["keypoints"] as? [[Double]])
                for keypoint in points.indices where points[keypoint][2] > 0 || random.next() % 5 == 0 {
                    for instance in targets where random.next() % 4 != 0 {
                        let truth = try #require(instance["keypoints"] as? [[Double]])[keypoint]
                        // Offsets of 0.03 to 0.2 of the scale straddle the thresholds.
                        let spread = [0.0, 0.03, 0.08, 0.12, 0.2, 0.6][Int(random.next() % 6)] * scale
                        let angle = Double(random.next() % 1000) / 1000 * 2 * .pi
                        matches.append(["source_instance": source["id"]!, "keypoint": keypoint,
                                        "x": truth[0] + spread * cos(angle), "y": truth[1] + spread * sin(angle), "score": 0.5])
                    }
                    if random.next() % 3 == 0 {
                        matches.append(["source_instance": source["id"]!, "keypoint": keypoint,
                                        "x": Double(random.next() % 500), "y": Double(random.next() % 400), "score": 0.1])
                    }
                }
            }
            var entry: [String: Any] = ["pair": pair["id"]!, "matches": matches]
            if !masks.isEmpty {
                // Masks of random instances of the same size as the target: overlaps of
                // different people give IoUs strictly between 0 and 1.
                let sized = instances.filter {
                    ($0["segmentation"] as? [String: Any])?["size"] as? [Int] == [Int(target["height"] as! Double), Int(target["width"] as! Double)]
                }
                entry["instances"] = (0..<Int(random.next() % 4)).compactMap { index -> [String: Any]? in
                    guard !sized.isEmpty else { return nil }
                    return ["id": index + 1, "score": 0.5, "segmentation": sized[Int(random.next() % UInt64(sized.count))]["segmentation"]!]
                }
            }
            submitted.append(entry)
        }
        return try JSONSerialization.data(withJSONObject: ["format": "misc-predictions/v1", "benchmark": document["name"]!,
                                                           "method": "noisy", "pairs": submitted])
    }
}

@Suite struct ReferenceAgreementTests {
    @Test(arguments: try TestSupport.devSplits().map(\.path))
    func agreesWithTheScipyReference(_ path: String) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let groundTruth = try Data(contentsOf: URL(fileURLWithPath: path))
        let benchmark = try GroundTruthReader.read(path: path)
        for seed in [1, 2] as [UInt64] {
            let submission = try NoisySubmission.build(groundTruth: groundTruth, seed: seed)
            let file = folder.appendingPathComponent("pred-\(seed).json")
            try submission.write(to: file)
            let ours = try JSONSerialization.jsonObject(with: Data(ScoresDocument.json(Evaluator(benchmark: benchmark).evaluate(path: file.path)).utf8))
            // The venv is part of the test set-up (make setup): its absence, like a failing
            // script, throws and so fails the test.
            let run = try Venv.runPython([Repository.root.appendingPathComponent("tools/eval_reference.py").path, path, file.path])
            try #require(run.status == 0)
            let reference = try JSONSerialization.jsonObject(with: run.stdout)
            // The reference may predate grouping; where it writes it, it is compared.
            let differences = TestSupport.differences(reference, ours, extraKeys: EvalCasesTests.newerKeys)
            #expect(differences.isEmpty, "\(path) seed \(seed): \(differences)")
        }
    }
}
