// The whole evaluation (readers, grouping, solver, aggregation) against a brute-force
// metric written from FORMATS.md on random small pairs: up to 5 predictions and 5 truths
// per group, integer offsets of 0, 1, 2, 5 and 10 pixels so that many distances fall
// exactly on α·d, and identical TP counts required at every α.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

@Suite struct MetricPropertyTests {
    /// Thresholds α·d of 0, 1, 2, 3, 5 and 10 pixels on a target of max side 100.
    static let alphas: [Double] = [0, 0.01, 0.02, 0.03, 0.05, 0.10]

    struct Point { var x: Double; var y: Double }

    @Test func randomPairsScoreAsTheBruteForceMetric() throws {
        var random = SplitMix64(seed: 31337)
        let offsets: [(Double, Double)] = [(0, 0), (1, 0), (0, -2), (3, 4), (-6, 8), (2, 1), (0, 10), (7, 7)]
        for trial in 0..<300 {
            let keypoints = 3
            let sourceCount = Int.random(in: 1...3, using: &random)
            let targetCount = Int.random(in: 1...5, using: &random)
            // labelled[instance][k], truth positions on the target.
            let sourceLabels = (0..<sourceCount).map { _ in (0..<keypoints).map { _ in Bool.random(using: &random) } }
            let targets = (0..<targetCount).map { _ in (0..<keypoints).map { _ -> Point? in
                Int.random(in: 0..<4, using: &random) == 0 ? nil
                    : Point(x: Double(Int.random(in: 10...30, using: &random)), y: Double(Int.random(in: 10...40, using: &random))) } }
            var matches: [(source: Int, k: Int, p: Point)] = []
            for s in 0..<sourceCount {
                for k in 0..<keypoints {
                    for _ in 0..<Int.random(in: 0...5, using: &random) {
                        let truths = targets.compactMap { $0[k] }
                        let base = truths.randomElement(using: &random) ?? Point(x: 20, y: 20)
                        let offset = offsets.randomElement(using: &random)!
                        matches.append((s, k, Point(x: base.x + offset.0, y: base.y + offset.1)))
                    }
                }
            }

            // Brute force, from the definitions.
            var groups = 0, ignored = 0
            var precision = [Double](repeating: 0, count: Self.alphas.count)
            var recall = precision, f1 = precision
            for s in 0..<sourceCount {
                for k in 0..<keypoints {
                    let predicted = matches.filter { $0.source == s && $0.k == k }.map(\.p)
                    let truths = targets.compactMap { $0[k] }
                    guard sourceLabels[s][k], !truths.isEmpty else { ignored += predicted.count; continue }
                    groups += 1
                    guard !predicted.isEmpty else { continue }
                    var distances: [Double] = []
                    for p in predicted { for t in truths { distances.append(((p.x - t.x) * (p.x - t.x) + (p.y - t.y) * (p.y - t.y)).squareRoot()) } }
                    for (index, alpha) in Self.alphas.enumerated() {
                        let tp = BruteForce.best(distances: distances, rows: predicted.count, columns: truths.count, threshold: alpha * 100).count
                        let p = Double(tp) / Double(predicted.count), r = Double(tp) / Double(truths.count)
                        precision[index] += p
                        recall[index] += r
                        f1[index] += tp == 0 ? 0 : 2 * p * r / (p + r)
                    }
                }
            }

            let json = Self.documents(sourceLabels: sourceLabels, targets: targets, matches: matches)
            let scores = try TestSupport.evaluate(try TestSupport.benchmark(json.groundTruth), json.submission, alphas: Self.alphas)
            #expect(scores.overall.groups == groups, "trial \(trial)")
            #expect(scores.ignoredMatches == ignored, "trial \(trial)")
            for (index, alpha) in scores.overall.alphas.enumerated() where groups > 0 {
                let n = Double(groups)
                #expect(abs(alpha.mpck! - precision[index] / n) < 1e-12, "trial \(trial) α \(alpha.alpha)")
                #expect(abs(alpha.recall! - recall[index] / n) < 1e-12, "trial \(trial) α \(alpha.alpha)")
                #expect(abs(alpha.f1! - f1[index] / n) < 1e-12, "trial \(trial) α \(alpha.alpha)")
            }
        }
    }

    static func documents(sourceLabels: [[Bool]], targets: [[Point?]], matches: [(source: Int, k: Int, p: Point)])
        -> (groundTruth: String, submission: String) {
        var instances: [String] = []
        for (index, labels) in sourceLabels.enumerated() {
            let points = labels.map { $0 ? "[5, 5, 2]" : "[0, 0, 0]" }.joined(separator: ", ")
            instances.append(#"{"id": \#(index + 1), "image": "s", "category": "c", "keypoints": [\#(points)]}"#)
        }
        for (index, points) in targets.enumerated() {
            let list = points.map { $0.map { "[\($0.x), \($0.y), 2]" } ?? "[0, 0, 0]" }.joined(separator: ", ")
            instances.append(#"{"id": \#(100 + index), "image": "t", "category": "c", "keypoints": [\#(list)]}"#)
        }
        let groundTruth = #"""
            {"format": "misc-pairs/v1", "name": "prop", "categories": [{"name": "c", "keypoints": ["a", "b", "c"]}],
             "images": [{"id": "s", "width": 50, "height": 50}, {"id": "t", "width": 100, "height": 60}],
             "instances": [\#(instances.joined(separator: ",\n"))],
             "pairs": [{"id": "p", "category": "c", "source": "s", "target": "t"}]}
            """#
        let list = matches.map { #"{"source_instance": \#($0.source + 1), "keypoint": \#($0.k), "x": \#($0.p.x), "y": \#($0.p.y), "score": 1}"# }
        let submission = #"{"format": "misc-predictions/v1", "benchmark": "prop", "pairs": [{"pair": "p", "matches": [\#(list.joined(separator: ", "))]}]}"#
        return (groundTruth, submission)
    }
}
