// The grouping score (FORMATS.md section 3.1): exact counts against an all-twos brute force
// on random benchmarks full of distance ties, the section's sanity facts, its null cases,
// the misc-scores/v1 and table output, and `target_instance` validation.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

@Suite struct GroupingTests {
    // MARK: Brute force

    struct Point { var x: Double; var y: Double }
    struct Instance { var id: Int; var image: Int; var category: Int; var points: [Point?] }
    struct Match { var source: Int; var keypoint: Int; var at: Point; var label: Int? }
    struct Pair { var category: Int; var source: Int; var target: Int; var matches: [Match] }

    /// Two categories with 3 and 2 keypoints; images whose max side gives thresholds of 10
    /// and 6 pixels.
    static let keypointCounts = [3, 2]
    static let imageSizes: [(width: Int, height: Int)] = [(100, 60), (40, 60), (100, 100), (60, 30)]

    /// Every unordered two of the counted matches, from the definitions.
    static func bruteForce(instances: [Instance], pairs: [Pair]) -> [GroupingScores] {
        var perCategory = Array(repeating: GroupingScores(), count: keypointCounts.count)
        for pair in pairs {
            let targets = instances.filter { $0.image == pair.target && $0.category == pair.category }
            guard targets.filter({ $0.points.contains { $0 != nil } }).count >= 2 else { continue }
            let threshold = 0.10 * Double(max(imageSizes[pair.target].width, imageSizes[pair.target].height))
            var counted: [(truth: Int, label: Int?)] = []
            for match in pair.matches {
                var nearest: (position: Int, distance: Double)?
                for (position, target) in targets.enumerated() {
                    guard let truth = target.points[match.keypoint] else { continue }
                    let dx = match.at.x - truth.x, dy = match.at.y - truth.y
                    let distance = (dx * dx + dy * dy).squareRoot()
                    guard distance <= threshold else { continue }
                    if nearest == nil || distance < nearest!.distance { nearest = (position, distance) }
                }
                if let nearest { counted.append((nearest.position, match.label)) }
            }
            var tally = GroupingScores()
            for i in counted.indices {
                for j in counted.indices where j > i {
                    let shareLabel = counted[i].label != nil && counted[i].label == counted[j].label
                    if counted[i].truth == counted[j].truth {
                        tally.sameTwos += 1
                        if shareLabel { tally.sameSharing += 1 }
                    } else {
                        tally.differentTwos += 1
                        if !shareLabel { tally.differentApart += 1 }
                    }
                }
            }
            perCategory[pair.category] = perCategory[pair.category] + tally
        }
        return perCategory
    }

    @Test func randomBenchmarksCountAsTheBruteForce() throws {
        var random = SplitMix64(seed: 20240531)
        // Small grids and offsets of 0, 5, 6 and 10 pixels (and some beyond): many matches sit
        // exactly on the threshold or exactly between two truths.
        let grid: [Double] = [10, 13, 16, 20, 26]
        let offsets: [(Double, Double)] = [(0, 0), (3, 4), (-3, -4), (5, 0), (0, -5), (6, 0), (6, 8), (0, 10), (-8, 6), (7, 8), (3, 0)]
        var counted = 0
        for trial in 0..<400 {
            var instances: [Instance] = []
            for image in Self.imageSizes.indices {
                for category in Self.keypointCounts.indices {
                    for position in 0..<random.below(5) {
                        let points = (0..<Self.keypointCounts[category]).map { _ -> Point? in
                            random.below(4) == 0 ? nil
                                : Point(x: grid[random.below(grid.count)], y: grid[random.below(grid.count)])
                        }
                        // Ids unique within an image's category, repeated across images now and then.
                        let id = position + 1 + (random.below(2) == 0 ? 0 : 10 * (image + 1))
                        instances.append(Instance(id: id, image: image, category: category, points: points))
                    }
                }
            }
            var pairs: [Pair] = []
            for _ in 0..<(1 + random.below(4)) {
                let category = random.below(Self.keypointCounts.count)
                let source = random.below(Self.imageSizes.count)
                let target = (source + 1 + random.below(Self.imageSizes.count - 1)) % Self.imageSizes.count
                let sources = instances.filter { $0.image == source && $0.category == category }
                let targets = instances.filter { $0.image == target && $0.category == category }
                var matches: [Match] = []
                if !sources.isEmpty {
                    for _ in 0..<random.below(14) {
                        let keypoint = random.below(Self.keypointCounts[category])
                        let truths = targets.compactMap { $0.points[keypoint] }
                        let base = random.below(5) == 0 || truths.isEmpty
                            ? Point(x: grid[random.below(grid.count)], y: grid[random.below(grid.count)])
                            : truths[random.below(truths.count)]
                        let offset = offsets[random.below(offsets.count)]
                        // Labels: none, a target instance id, or a few small numbers (ids or not).
                        let pick = random.below(4)
                        let label: Int? = pick == 0 ? nil
                            : pick == 1 && !targets.isEmpty ? targets[random.below(targets.count)].id
                            : random.below(3)
                        matches.append(Match(source: sources[random.below(sources.count)].id, keypoint: keypoint,
                                             at: Point(x: base.x + offset.0, y: base.y + offset.1), label: label))
                    }
                }
                pairs.append(Pair(category: category, source: source, target: target, matches: matches))
            }

            let expected = Self.bruteForce(instances: instances, pairs: pairs)
            let documents = Self.documents(instances: instances, pairs: pairs, random: &random)
            let scores = try TestSupport.evaluate(try TestSupport.benchmark(documents.groundTruth), documents.submission)
            var overall = GroupingScores()
            for (category, summary) in scores.categories.map(\.summary).enumerated() {
                let want = expected[category]
                overall = overall + want
                #expect(summary.grouping == (want.matchPairs > 0 ? want : nil), "trial \(trial) category \(category)")
            }
            #expect(scores.overall.grouping == (overall.matchPairs > 0 ? overall : nil), "trial \(trial)")
            counted += overall.matchPairs
            // What the document writes is what the counts say.
            let written = try #require(try JSONSerialization.jsonObject(with: Data(ScoresDocument.json(scores).utf8)) as? [String: Any])
            let grouping = (written["overall"] as? [String: Any])?["grouping"]
            if overall.matchPairs == 0 {
                #expect(grouping is NSNull, "trial \(trial)")
            } else {
                let object = try #require(grouping as? [String: Any], "trial \(trial)")
                #expect(object["match_pairs"] as? Int == overall.matchPairs)
                // Foundation's parser may miss the last bit of a shortest-form number.
                for (key, value) in [("same", overall.same), ("different", overall.different), ("score", overall.score)] {
                    if let value {
                        #expect(abs((object[key] as? Double ?? .nan) - value) <= 1e-15, "trial \(trial) \(key)")
                    } else {
                        #expect(object[key] is NSNull, "trial \(trial) \(key)")
                    }
                }
            }
        }
        #expect(counted > 5_000, "the random cases should count many twos")
    }

    static func documents(instances: [Instance], pairs: [Pair], random: inout SplitMix64) -> (groundTruth: String, submission: String) {
        let categories = keypointCounts.enumerated().map { category, count in
            #"{"name": "c\#(category)", "keypoints": [\#((0..<count).map { "\"k\($0)\"" }.joined(separator: ", "))]}"#
        }
        let images = imageSizes.enumerated().map { #"{"id": "i\#($0)", "width": \#($1.width), "height": \#($1.height)}"# }
        let instanceList = instances.map { instance in
            let points = instance.points.map { $0.map { "[\($0.x), \($0.y), 2]" } ?? "[0, 0, 0]" }.joined(separator: ", ")
            return #"{"id": \#(instance.id), "image": "i\#(instance.image)", "category": "c\#(instance.category)", "keypoints": [\#(points)]}"#
        }
        let pairList = pairs.enumerated().map { index, pair in
            #"{"id": "p\#(index)", "category": "c\#(pair.category)", "source": "i\#(pair.source)", "target": "i\#(pair.target)"}"#
        }
        let groundTruth = #"""
            {"format": "misc-pairs/v1", "name": "grouping",
             "categories": [\#(categories.joined(separator: ", "))],
             "images": [\#(images.joined(separator: ", "))],
             "instances": [\#(instanceList.joined(separator: ",\n"))],
             "pairs": [\#(pairList.joined(separator: ",\n"))]}
            """#
        let entries = pairs.enumerated().map { index, pair in
            let matches = pair.matches.map { match in
                // A missing label is written both ways: left out, and null.
                let label = match.label.map { #", "target_instance": \#($0)"# } ?? (random.below(2) == 0 ? "" : #", "target_instance": null"#)
                return #"{"source_instance": \#(match.source), "keypoint": \#(match.keypoint), "x": \#(match.at.x), "y": \#(match.at.y), "score": 1\#(label)}"#
            }
            return #"{"pair": "p\#(index)", "matches": [\#(matches.joined(separator: ", "))]}"#
        }
        let submission = #"{"format": "misc-predictions/v1", "benchmark": "grouping", "pairs": [\#(entries.joined(separator: ",\n"))]}"#
        return (groundTruth, submission)
    }

    // MARK: The section's facts

    /// One keypoint ("a") labelled on the source; "b" not. Target instances 7 at (10, 10) and
    /// 8 at (60, 60) label both; instance 9 labels none. d = 100, so 0.10·d = 10.
    static let groundTruth = """
        {"format": "misc-pairs/v1", "name": "facts",
         "categories": [{"name": "c", "keypoints": ["a", "b"]}],
         "images": [{"id": "s", "width": 50, "height": 50}, {"id": "t", "width": 100, "height": 80},
                    {"id": "u", "width": 100, "height": 80}],
         "instances": [
           {"id": 1, "image": "s", "category": "c", "keypoints": [[5, 5, 2], [0, 0, 0]]},
           {"id": 7, "image": "t", "category": "c", "keypoints": [[10, 10, 2], [12, 12, 2]]},
           {"id": 9, "image": "t", "category": "c", "keypoints": [[0, 0, 0], [0, 0, 0]]},
           {"id": 8, "image": "t", "category": "c", "keypoints": [[60, 60, 2], [62, 62, 2]]},
           {"id": 7, "image": "u", "category": "c", "keypoints": [[10, 10, 2], [12, 12, 2]]},
           {"id": 9, "image": "u", "category": "c", "keypoints": [[0, 0, 0], [0, 0, 0]]}],
         "pairs": [{"id": "two", "category": "c", "source": "s", "target": "t"},
                   {"id": "one", "category": "c", "source": "s", "target": "u"}]}
        """

    /// Matches of keypoint "a" near instance 7 (`nearSeven`) and near instance 8, labelled in turn.
    static func grouping(pair: String = "two", nearSeven: Int, nearEight: Int, labels: [Int?],
                         keypoint: Int = 0, alphas: [Double] = EvaluationOptions.paperAlphas) throws -> Scores {
        var matches: [String] = []
        for index in 0..<(nearSeven + nearEight) {
            let (x, y) = index < nearSeven ? (10.0 + Double(index), 10.0) : (60.0, 60.0 - Double(index))
            let label = labels[index].map { #", "target_instance": \#($0)"# } ?? ""
            matches.append(#"{"source_instance": 1, "keypoint": \#(keypoint), "x": \#(x), "y": \#(y)\#(label)}"#)
        }
        let submission = #"{"format": "misc-predictions/v1", "benchmark": "facts", "pairs": [{"pair": "\#(pair)", "matches": [\#(matches.joined(separator: ", "))]}]}"#
        return try TestSupport.evaluate(try TestSupport.benchmark(groundTruth), submission, alphas: alphas)
    }

    @Test func everyMatchInOneInstanceScoresOneHalf() throws {
        let grouping = try #require(try Self.grouping(nearSeven: 2, nearEight: 2, labels: [5, 5, 5, 5]).overall.grouping)
        #expect(grouping.same == 1 && grouping.different == 0 && grouping.score == 0.5)
        #expect(grouping.matchPairs == 6)
    }

    @Test func eachMatchInItsOwnScoresOneHalf() throws {
        for labels in [[nil, nil, nil, nil], [1, 2, 3, 4], [nil, 7, nil, 8]] as [[Int?]] {
            let grouping = try #require(try Self.grouping(nearSeven: 2, nearEight: 2, labels: labels).overall.grouping)
            #expect(grouping.same == 0 && grouping.different == 1 && grouping.score == 0.5, "\(labels)")
        }
    }

    @Test func aPerfectGroupingScoresOne() throws {
        // Labels need only agree with the truth up to renaming; 7 and 8 or any two ids.
        for labels in [[7, 7, 7, 8, 8, 8], [8, 8, 8, 7, 7, 7], [-3, -3, -3, 40, 40, 40]] as [[Int?]] {
            let scores = try Self.grouping(nearSeven: 3, nearEight: 3, labels: labels)
            let grouping = try #require(scores.overall.grouping)
            #expect(grouping.same == 1 && grouping.different == 1 && grouping.score == 1)
            #expect(grouping == GroupingScores(sameTwos: 6, sameSharing: 6, differentTwos: 9, differentApart: 9))
            #expect(scores.categories.first?.summary.grouping == grouping)
        }
    }

    @Test func mixedLabelsAreCountedPerTwo() throws {
        // 7: labels a, a, b; 8: a, nil. Same twos 3 + 1 = 4, of which 1 shares a label;
        // different twos 3·2 = 6, of which (a, a) twice fail: 4 apart.
        let grouping = try #require(try Self.grouping(nearSeven: 3, nearEight: 2, labels: [1, 1, 2, 1, nil]).overall.grouping)
        #expect(grouping == GroupingScores(sameTwos: 4, sameSharing: 1, differentTwos: 6, differentApart: 4))
        #expect(grouping.score == (0.25 + 4.0 / 6.0) / 2)
    }

    @Test func aPartWithoutTwosIsNullAndTheScoreIsTheOther() throws {
        let sameOnly = try #require(try Self.grouping(nearSeven: 3, nearEight: 0, labels: [1, 1, 2]).overall.grouping)
        #expect(sameOnly.different == nil && sameOnly.same == 1.0 / 3 && sameOnly.score == 1.0 / 3)
        let differentOnly = try #require(try Self.grouping(nearSeven: 1, nearEight: 1, labels: [1, 1]).overall.grouping)
        #expect(differentOnly.same == nil && differentOnly.different == 0 && differentOnly.score == 0)
    }

    @Test func nullWithoutTwos() throws {
        // One counted match; a target with one labelled instance (9 labels nothing); no matches.
        #expect(try Self.grouping(nearSeven: 1, nearEight: 0, labels: [1]).overall.grouping == nil)
        #expect(try Self.grouping(pair: "one", nearSeven: 3, nearEight: 0, labels: [1, 1, 2]).overall.grouping == nil)
        let none = try Self.grouping(nearSeven: 0, nearEight: 0, labels: [])
        #expect(none.overall.grouping == nil && none.categories.first?.summary.grouping == nil)
        let written = ScoresDocument.json(none)
        #expect(written.contains("    \"miou\": null,\n    \"grouping\": null\n  }"))
        #expect(written.contains("\"miou\": null,\n      \"grouping\": null\n    }"))
    }

    @Test func matchesBeyondTheThresholdOrOnAnotherKeypointAreLeftOut() throws {
        // Exactly 10 from 7's "a" (counted: the test is ≤), just beyond 10, and halfway between
        // the two "a" locations: only the first is counted, beside the one match at 8.
        let submission = #"""
            {"format": "misc-predictions/v1", "benchmark": "facts", "pairs": [{"pair": "two", "matches": [
              {"source_instance": 1, "keypoint": 0, "x": 16, "y": 18, "target_instance": 1},
              {"source_instance": 1, "keypoint": 0, "x": 20.000001, "y": 10, "target_instance": 1},
              {"source_instance": 1, "keypoint": 0, "x": 35, "y": 35, "target_instance": 1},
              {"source_instance": 1, "keypoint": 0, "x": 60, "y": 60, "target_instance": 1}]}]}
            """#
        let grouping = try #require(try TestSupport.evaluate(try TestSupport.benchmark(Self.groundTruth), submission).overall.grouping)
        #expect(grouping == GroupingScores(sameTwos: 0, sameSharing: 0, differentTwos: 1, differentApart: 0))
    }

    @Test func aTieGoesToTheFirstInstanceOfTheGroundTruth() throws {
        // (35, 35) is 25·√2 from both "a" locations: beyond 0.10·d, so take d = 1000 here.
        let groundTruth = Self.groundTruth.replacingOccurrences(of: #""id": "t", "width": 100"#, with: #""id": "t", "width": 1000"#)
        let submission = #"""
            {"format": "misc-predictions/v1", "benchmark": "facts", "pairs": [{"pair": "two", "matches": [
              {"source_instance": 1, "keypoint": 0, "x": 35, "y": 35, "target_instance": 1},
              {"source_instance": 1, "keypoint": 0, "x": 10, "y": 10, "target_instance": 1},
              {"source_instance": 1, "keypoint": 0, "x": 60, "y": 60, "target_instance": 2}]}]}
            """#
        // The tie joins 7, the first in the ground truth: one same two sharing a label and two
        // different twos, both apart (joined to 8 it would share no label with its same two).
        let grouping = try #require(try TestSupport.evaluate(try TestSupport.benchmark(groundTruth), submission).overall.grouping)
        #expect(grouping == GroupingScores(sameTwos: 1, sameSharing: 1, differentTwos: 2, differentApart: 2))
    }

    @Test func anUnlabelledSourceKeypointStillCounts() throws {
        // Keypoint "b" is not labelled on source instance 1: ignored by mPCK, yet its matches
        // lie on the target's "b" locations, which is all that section 3.1 asks.
        let submission = #"""
            {"format": "misc-predictions/v1", "benchmark": "facts", "pairs": [{"pair": "two", "matches": [
              {"source_instance": 1, "keypoint": 1, "x": 12, "y": 12, "target_instance": 7},
              {"source_instance": 1, "keypoint": 1, "x": 62, "y": 62, "target_instance": 8}]}]}
            """#
        let scores = try TestSupport.evaluate(try TestSupport.benchmark(Self.groundTruth), submission)
        #expect(scores.ignoredMatches == 2)
        #expect(scores.overall.grouping == GroupingScores(sameTwos: 0, sameSharing: 0, differentTwos: 1, differentApart: 1))
    }

    @Test func groupingIsAtAlphaTenthWhateverTheAlphas() throws {
        let scores = try Self.grouping(nearSeven: 2, nearEight: 2, labels: [7, 7, 8, 8], alphas: [0.01])
        #expect(scores.overall.grouping?.score == 1)
    }

    @Test func theDocumentWritesGroupingAfterMiou() throws {
        let scores = try Self.grouping(nearSeven: 3, nearEight: 2, labels: [1, 1, 2, 1, nil])
        let written = ScoresDocument.json(scores)
        let line = #""grouping": {"score": \#((0.25 + 4.0 / 6.0) / 2), "same": 0.25, "different": \#(4.0 / 6.0), "match_pairs": 10}"#
        #expect(written.contains("  \"miou\": null,\n    \(line)\n  }"), "\(written)")
        #expect(written.contains("      \"miou\": null,\n      \(line)\n    }"), "\(written)")
        let table = ScoresTable.render(scores).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let mIoU = try #require(table.firstIndex { $0.first == "mIoU" })
        #expect(table[mIoU + 1] == ["grouping", "45.83", "45.83"])
        #expect(table.filter { $0.first == "grouping" }.count == 1, "only in the mPCK block")
    }

    // MARK: target_instance

    @Test(arguments: [
        (#""target_instance": 1.5"#, "not an integer"),
        (#""target_instance": "7""#, "expected an integer, found a string"),
        (#""target_instance": [7]"#, "expected an integer, found an array"),
    ])
    func aTargetInstanceMustBeAnInteger(_ member: String, _ words: String) throws {
        let submission = #"""
            {"format": "misc-predictions/v1", "benchmark": "facts", "pairs": [{"pair": "two", "matches": [
              {"source_instance": 1, "keypoint": 0, "x": 10, "y": 10},
              {"source_instance": 1, "keypoint": 0, "x": 10, "y": 10, \#(member)}]}]}
            """#
        do {
            _ = try TestSupport.evaluate(try TestSupport.benchmark(Self.groundTruth), submission)
            Issue.record("accepted: \(member)")
        } catch let error as InputError {
            #expect(error.path.description == "pairs[0].matches[1].target_instance", "\(error)")
            #expect(error.description.contains(words), "\(error)")
        }
    }

    @Test func aTargetInstanceNamingNoInstanceIsStillALabel() throws {
        // The pair lists no predicted instances; 123 and 456 label all the same.
        let grouping = try #require(try Self.grouping(nearSeven: 2, nearEight: 2, labels: [123, 123, 456, 456]).overall.grouping)
        #expect(grouping.score == 1)
    }
}
