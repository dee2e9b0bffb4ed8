// Structural problems in submissions and ground truth: each rejected with the JSON path of
// the first problem; matches outside any group ignored and counted; missing pairs empty.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

@Suite struct SubmissionValidationTests {
    static let groundTruth = """
        {"format": "misc-pairs/v1", "name": "tiny",
         "categories": [{"name": "cat", "keypoints": ["nose", "tail"]}],
         "images": [{"id": "s", "width": 100, "height": 50}, {"id": "t", "width": 40, "height": 80}],
         "instances": [
           {"id": 1, "image": "s", "category": "cat", "keypoints": [[10, 10, 2], [0, 0, 0]]},
           {"id": 2, "image": "t", "category": "cat", "keypoints": [[20, 20, 1], [30, 30, 2]],
            "segmentation": {"size": [80, 40], "counts": [0, 3200]}}],
         "pairs": [{"id": "p1", "category": "cat", "source": "s", "target": "t"},
                   {"id": "p2", "category": "cat", "source": "t", "target": "s"}]}
        """

    static func submission(_ pairs: String, format: String = "misc-predictions/v1") -> String {
        #"{"format": "\#(format)", "benchmark": "tiny", "method": "m", "pairs": [\#(pairs)]}"#
    }

    static let match = #"{"source_instance": 1, "keypoint": 0, "x": 20, "y": 20, "score": 0.5}"#

    @Test(arguments: [
        (submission(#"{"pair": "p1", "matches": [\#(match), {"source_instance": 1, "keypoint": 0, "x": "1", "y": 2}]}"#), "pairs[0].matches[1].x", "not a finite number"),
        (submission(#"{"pair": "p1", "matches": [{"source_instance": 1, "keypoint": 0, "x": 1, "y": 1e999}]}"#), "pairs[0].matches[0].y", "not a finite number"),
        (submission(#"{"pair": "p1", "matches": [{"source_instance": 1, "keypoint": 0, "x": 1, "y": 2, "score": null}]}"#), "pairs[0].matches[0].score", "not a finite number"),
        (submission(#"{"pair": "p1", "matches": [{"source_instance": 1, "keypoint": 1.5, "x": 1, "y": 2}]}"#), "pairs[0].matches[0].keypoint", "not an integer"),
        (submission(#"{"pair": "p1", "matches": [{"source_instance": 1, "keypoint": -1, "x": 1, "y": 2}]}"#), "pairs[0].matches[0].keypoint", "outside"),
        (submission(#"{"pair": "p1", "matches": [{"source_instance": 2, "keypoint": 0, "x": 1, "y": 2}]}"#), "pairs[0].matches[0].source_instance", "no cat instance 2"),
        (submission(#"{"pair": "p1", "matches": [{"keypoint": 0, "x": 1, "y": 2}]}"#), "pairs[0].matches[0]", "missing field \"source_instance\""),
        (submission(#"{"pair": "p1"}, {"pair": "p1"}"#), "pairs[1].pair", "appears twice (first at pairs[0])"),
        (submission(#"{"matches": []}"#), "pairs[0]", "missing field \"pair\""),
        (submission(#"{"pair": "p1", "matches": {}}"#), "pairs[0].matches", "expected an array, found an object"),
        (submission(#"{"pair": "p1", "instances": [{"id": 1, "segmentation": {"size": [40, 80], "counts": [0, 3200]}}]}"#), "pairs[0].instances[0].segmentation.size", "not the target image's"),
        (submission(#"{"pair": "p1", "instances": [{"id": 1, "segmentation": {"size": [80, 40]}}]}"#), "pairs[0].instances[0].segmentation", "missing field \"counts\""),
        (submission(#"{"pair": "p1", "matches": [\#(match),]}"#), "pairs[0]", "invalid JSON at byte"),
        (submission(#"{"pair": "p1", "instances": [{"id": 1, "segmentation": {"size": [80, 40], "counts": [0, 100]}}]}"#), "pairs[0].instances[0].segmentation", "add up to 100 pixels"),
        (submission(#"{"pair": "p1", "instances": [{"id": 1, "segmentation": {"size": [80, 40], "counts": "0:n0{"}}]}"#), "pairs[0].instances[0].segmentation", "invalid mask"),
        (submission(#"{"pair": "p1", "instances": [{"id": 1, "segmentation": [[1, 2, 3]]}]}"#), "pairs[0].instances[0].segmentation[0]", "at least 6"),
        (submission(#"{"pair": "p1", "instances": [{"id": 1, "segmentation": "mask"}]}"#), "pairs[0].instances[0].segmentation", "expected an RLE object or a polygon list, found a string"),
        (submission("", format: "misc-predictions/v2"), "format", "\"misc-predictions/v2\" is not \"misc-predictions/v1\""),
        (#"{"benchmark": "tiny", "pairs": []}"#, "(document)", "missing field \"format\""),
        (#"{"format": "misc-predictions/v1", "benchmark": "other", "pairs": []}"#, "benchmark", "this benchmark is \"tiny\""),
        (#"[]"#, "(document)", "expected an object, found an array"),
        (submission(#"{"pair": "p1"}"#) + " {}", "(document)", "after the document"),
    ])
    func rejectedWithPath(_ text: String, _ path: String, _ words: String) throws {
        let benchmark = try TestSupport.benchmark(Self.groundTruth)
        do {
            _ = try TestSupport.evaluate(benchmark, text)
            Issue.record("accepted: \(text)")
        } catch let error as InputError {
            #expect(error.document == .submission)
            #expect(error.path.description == path, "\(error)")
            #expect(error.description.contains(words), "\(error)")
        }
    }

    @Test func ignoredMatchesAreCountedAndMissingPairsScoreZero() throws {
        let benchmark = try TestSupport.benchmark(Self.groundTruth)
        // Keypoint 1 is not labelled on source instance 1: ignored. Pair p2 is missing.
        let scores = try TestSupport.evaluate(benchmark, Self.submission(#"""
            {"pair": "p1", "matches": [\#(Self.match), {"source_instance": 1, "keypoint": 1, "x": 30, "y": 30},
             {"source_instance": 1, "keypoint": 0, "x": 40, "y": 80, "target_instance": null, "extra": [1, {"a": null}]}]}
            """#))
        #expect(scores.ignoredMatches == 1)
        // Groups: p1 (1, nose) and p2 (2, nose), (2, tail) has no truth on s: 2 groups.
        #expect(scores.overall.groups == 2)
        // p1 nose: two predictions, one exact hit: precision 1/2, recall 1; p2: 0.
        let first = try #require(scores.overall.alphas.first)
        #expect(first.mpck == 0.25 && first.recall == 0.5)
        #expect(abs(first.f1! - (2 * 0.5 * 1 / 1.5) / 2) < 1e-15)
        // The far prediction (distance ≈ 63.2) is admissible only at α = 1 (d = 80); still one truth.
        #expect(scores.overall.alphas.last?.mpck == 0.25)
        #expect(scores.overall.miou == nil, "no predicted masks")
    }

    @Test func miouTakesRLEAndPolygonMasks() throws {
        let benchmark = try TestSupport.benchmark(Self.groundTruth)
        // The truth of p1's target is the whole 80x40 image. Half of it: IoU 1/2, averaged
        // over the one masked target instance of the benchmark (p2's target has none).
        let half = try TestSupport.evaluate(benchmark, Self.submission(#"""
            {"pair": "p1", "instances": [{"id": 1, "segmentation": {"size": [80, 40], "counts": [0, 1600, 1600]}},
                                         {"id": 2, "segmentation": {"size": [80, 40], "counts": [1600, 1600]}}]}
            """#))
        #expect(half.overall.miou == 0.5)
        // A polygon around the whole image rasterises to (nearly) all of it.
        let polygon = try TestSupport.evaluate(benchmark, Self.submission(#"""
            {"pair": "p1", "instances": [{"id": 1, "segmentation": [[0, 0, 40, 0, 40, 80, 0, 80]]}]}
            """#))
        let miou = try #require(polygon.overall.miou)
        #expect(miou > 0.95 && miou <= 1)
        // A mask on a pair whose target has no masked truth: mIoU is 0, not null.
        let elsewhere = try TestSupport.evaluate(benchmark, Self.submission(#"""
            {"pair": "p2", "instances": [{"id": 1, "segmentation": {"size": [50, 100], "counts": [0, 5000]}}]}
            """#))
        #expect(elsewhere.overall.miou == 0)
    }

    /// Random byte edits of a real submission: each is scored or rejected with an
    /// InputError, never anything else (no crash, no stray error type).
    @Test func mutatedSubmissionsAreScoredOrRejectedCleanly() throws {
        let folder = TestSupport.evalCases.appendingPathComponent("b_categories_boundary_masks")
        let benchmark = try GroundTruthReader.read(path: folder.appendingPathComponent("gt.json").path)
        let original = Array(try Data(contentsOf: folder.appendingPathComponent("pred.json")))
        var random = SplitMix64(seed: 77)
        var scored = 0, rejected = 0
        for _ in 0..<3000 {
            let bytes = Self.mutated(original, using: &random)
            do {
                let scores = try Evaluator(benchmark: benchmark).evaluate(source: MemoryByteSource(bytes, chunk: 37))
                #expect(scores.overall.groups == 4)
                scored += 1
            } catch is InputError {
                rejected += 1
            }
        }
        #expect(scored > 100 && rejected > 100, "scored \(scored), rejected \(rejected)")
    }

    /// The same for ground truth: loaded or rejected with an InputError.
    @Test func mutatedGroundTruthIsLoadedOrRejectedCleanly() throws {
        let original = Array(try Data(contentsOf: TestSupport.evalCases.appendingPathComponent("b_categories_boundary_masks/gt.json")))
        var random = SplitMix64(seed: 78)
        var loaded = 0, rejected = 0
        for _ in 0..<3000 {
            let bytes = Self.mutated(original, using: &random)
            do {
                let benchmark = try GroundTruthReader.read(source: MemoryByteSource(bytes, chunk: 41))
                _ = try Evaluator(benchmark: benchmark).evaluate(source: MemoryByteSource(Array(#"{"format": "misc-predictions/v1", "pairs": []}"#.utf8)))
                loaded += 1
            } catch is InputError {
                rejected += 1
            }
        }
        #expect(loaded > 100 && rejected > 100, "loaded \(loaded), rejected \(rejected)")
    }

    @Test func membersMayComeInAnyOrder() throws {
        let benchmark = try TestSupport.benchmark(Self.groundTruth)
        let reordered = #"{"pairs": [{"matches": [\#(Self.match)], "pair": "p1"}], "method": "m", "benchmark": "tiny", "format": "misc-predictions/v1"}"#
        let scores = try TestSupport.evaluate(benchmark, reordered)
        #expect(scores.overall.alphas.first?.mpck == 0.5)
    }

    @Test(arguments: [
        (#"{"format": "misc-pairs/v1", "name": "x", "categories": [], "images": [], "instances": [], "pairs": [{"id": "p", "category": "dog", "source": "a", "target": "b"}]}"#, "pairs[0].category"),
        (#"{"format": "misc-pairs/v1", "name": "x", "categories": [{"name": "c", "keypoints": ["a"]}], "images": [{"id": "i", "width": 2, "height": 2}], "instances": [{"id": 1, "image": "i", "category": "c", "keypoints": [[1, 1, 2], [1, 1, 2]]}], "pairs": []}"#, "instances[0].keypoints"),
        (#"{"format": "misc-pairs/v1", "name": "x", "categories": [{"name": "c", "keypoints": ["a"]}], "images": [{"id": "i", "width": 2, "height": 2}], "instances": [{"id": 1, "image": "i", "category": "c", "keypoints": [[null, 1, 2]]}], "pairs": []}"#, "instances[0].keypoints[0][0]"),
        (#"{"format": "misc-pairs/v1", "name": "x", "categories": [], "images": [{"id": "i", "width": 0, "height": 2}], "instances": [], "pairs": []}"#, "images[0].width"),
        (#"{"format": "misc-pairs/v1", "name": "x", "categories": [], "images": [{"id": "i", "width": 2, "height": 1e20}], "instances": [], "pairs": []}"#, "images[0].height"),
        (#"{"format": "misc-pairs/v0", "name": "x"}"#, "format"),
        (#"{"format": "misc-pairs/v1", "name": "x", "categories": [{"name": "c", "keypoints": ["a"]}], "images": [{"id": "i", "width": 2, "height": 2}], "instances": [{"id": 1, "image": "i", "category": "c", "keypoints": [[1, 1, 2]], "segmentation": {"size": [2, 2], "counts": [1, 1]}}], "pairs": []}"#, "instances[0].segmentation"),
        (#"{"format": "misc-pairs/v1", "name": "x", "categories": [{"name": "c", "keypoints": ["a"]}], "images": [{"id": "i", "width": 2, "height": 2}], "instances": [{"id": 1, "image": "i", "category": "c", "keypoints": [[1, 1, 2]], "segmentation": {"size": [2, 3], "counts": [6]}}], "pairs": []}"#, "instances[0].segmentation.size"),
    ])
    func invalidGroundTruthIsRejectedWithPath(_ text: String, _ path: String) {
        do {
            _ = try TestSupport.benchmark(text)
            Issue.record("accepted")
        } catch let error as InputError {
            #expect(error.document == .groundTruth)
            #expect(error.path.description == path, "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func unlabelledKeypointsMayHoldNull() throws {
        let text = #"{"format": "misc-pairs/v1", "name": "x", "categories": [{"name": "c", "keypoints": ["a", "b"]}], "images": [{"id": 5, "width": 2, "height": 2}], "instances": [{"id": 1, "image": 5, "category": "c", "keypoints": [[null, null, 0], [1, 1, 2]]}], "pairs": []}"#
        let benchmark = try TestSupport.benchmark(text)
        #expect(benchmark.keypointLabelled == [false, true])
        #expect(benchmark.images[0].id == "5")
    }

    @Test func scoresDocumentKeysAndNumbers() {
        #expect(ScoresDocument.alphaKey(0.05) == "0.05")
        #expect(ScoresDocument.alphaKey(0.1) == "0.10")
        #expect(ScoresDocument.alphaKey(1) == "1.00")
        #expect(ScoresDocument.alphaKey(0.125) == "0.125")
        #expect(ScoresDocument.number(0.38000000000000006) == "0.38000000000000006")
        #expect(ScoresDocument.number(nil) == "null")
        #expect(ScoresDocument.quoted("a\"b\n\u{1}") == #""a\"b\n\u0001""#)
        #expect(ScoresTable.percent(0.333333) == "33.33" && ScoresTable.percent(1) == "100.00" && ScoresTable.percent(0.05) == "5.00")
    }

    /// 1 to 4 random edits (replace, delete, insert) with JSON-ish bytes.
    static func mutated(_ original: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        let alphabet = Array(#"{}[]:,"\ 0123456789.-eE"#.utf8) + Array("nulltrue".utf8)
        var bytes = original
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: bytes[position] = alphabet.randomElement(using: &random)!
            case 1: bytes.remove(at: position)
            default: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
            }
        }
        return bytes
    }
}
