// The grouping score of FORMATS.md section 3.1 for one pair: which target instance each
// near-enough match truly lands on, against its predicted `target_instance`, tallied as
// exact counts of twos so that pooling over pairs and categories stays exact.

/// Grouping as counts of unordered twos of matches; the shares are taken on reading.
public struct GroupingScores: Sendable, Equatable {
    /// Twos with the same true instance, and those of them that share a label.
    public internal(set) var sameTwos = 0
    public internal(set) var sameSharing = 0
    /// Twos with different true instances, and those of them with different labels.
    public internal(set) var differentTwos = 0
    public internal(set) var differentApart = 0

    /// `match_pairs`: every two counted.
    public var matchPairs: Int { sameTwos + differentTwos }
    public var same: Double? { sameTwos > 0 ? Double(sameSharing) / Double(sameTwos) : nil }
    public var different: Double? { differentTwos > 0 ? Double(differentApart) / Double(differentTwos) : nil }

    /// The mean of the two parts; a part without twos is left out, and nil without any.
    public var score: Double? {
        switch (same, different) {
        case let (same?, different?): return (same + different) / 2
        case let (same?, nil): return same
        case let (nil, different?): return different
        case (nil, nil): return nil
        }
    }

    static func + (lhs: GroupingScores, rhs: GroupingScores) -> GroupingScores {
        var sum = lhs
        sum.sameTwos += rhs.sameTwos
        sum.sameSharing += rhs.sameSharing
        sum.differentTwos += rhs.differentTwos
        sum.differentApart += rhs.differentApart
        return sum
    }
}

struct GroupingScorer {
    /// Grouping is defined at this α only, whatever `--alphas` asks for.
    static let alpha = 0.10

    let benchmark: Benchmark
    /// Per position in the pair's target set: how many counted matches it truly holds.
    private var instanceCount: [Int] = []
    /// Predicted label → dense slot, matches per slot, and matches per (slot, true instance)
    /// keyed `slot * targets + instance`: tallies instead of comparing every two.
    private var labelSlot: [Int: Int] = [:]
    private var labelCount: [Int] = []
    private var labelInstanceCount: [Int: Int] = [:]

    init(benchmark: Benchmark) {
        self.benchmark = benchmark
    }

    /// Adds one pair's twos to `totals`; `matches` have already had their keypoints checked.
    ///
    /// Every match within 0.10·d of a labelled location of its keypoint on a target instance
    /// counts, including one whose source keypoint is unlabelled (ignored by mPCK): section
    /// 3.1 asks only where the match lies on the target, and its `target_instance` is a
    /// claim about the target. A `target_instance` that names none of the pair's predicted
    /// `instances` is still a label: the section reads the value, not the instance list.
    mutating func score(pair pairIndex: Int, matches: [SubmittedMatch], into totals: inout GroupingScores) {
        guard matches.count >= 2, let targetSetIndex = benchmark.targetSet[pairIndex] else { return }
        let members = benchmark.instanceSets[targetSetIndex].instances
        guard labelledInstances(members, atLeast: 2) else { return }
        let threshold = Self.alpha * benchmark.images[benchmark.pairs[pairIndex].target].scale
        let targets = members.count

        instanceCount.removeAll(keepingCapacity: true)
        instanceCount.append(contentsOf: repeatElement(0, count: targets))
        if !labelSlot.isEmpty { labelSlot.removeAll(keepingCapacity: true) }
        if !labelInstanceCount.isEmpty { labelInstanceCount.removeAll(keepingCapacity: true) }
        labelCount.removeAll(keepingCapacity: true)
        var counted = 0
        for match in matches {
            guard let instance = trueInstance(of: match, members: members, threshold: threshold) else { continue }
            counted += 1
            instanceCount[instance] += 1
            // A match without a label is alone in its own: it shares a label with no other,
            // so it adds to no label tally.
            guard let label = match.targetInstance else { continue }
            let slot: Int
            if let existing = labelSlot[label] {
                slot = existing
            } else {
                slot = labelCount.count
                labelSlot[label] = slot
                labelCount.append(0)
            }
            labelCount[slot] += 1
            labelInstanceCount[slot * targets + instance, default: 0] += 1
        }
        guard counted >= 2 else { return }

        var sameTwos = 0
        for count in instanceCount { sameTwos += Self.twos(count) }
        var sharingLabel = 0
        for count in labelCount { sharingLabel += Self.twos(count) }
        var sameSharing = 0
        for count in labelInstanceCount.values { sameSharing += Self.twos(count) }
        let differentTwos = Self.twos(counted) - sameTwos
        totals.sameTwos += sameTwos
        totals.sameSharing += sameSharing
        totals.differentTwos += differentTwos
        // Twos that share a label but not the true instance are the different-instance twos
        // that the labels failed to separate.
        totals.differentApart += differentTwos - (sharingLabel - sameSharing)
    }

    /// Whether at least `needed` of the target instances label some keypoint.
    private func labelledInstances(_ members: [Int], atLeast needed: Int) -> Bool {
        var found = 0
        for member in members {
            let start = benchmark.instances[member].keypointStart
            let keypointCount = benchmark.categories[benchmark.instances[member].category].keypoints.count
            if benchmark.keypointLabelled[start..<(start + keypointCount)].contains(true) {
                found += 1
                if found >= needed { return true }
            }
        }
        return false
    }

    /// The position in `members` of the instance whose labelled location of the match's
    /// keypoint is nearest, if within `threshold`; the first in ground-truth order on an
    /// exact tie. Distances are computed as the mPCK assignment computes them.
    @inline(__always)
    private func trueInstance(of match: SubmittedMatch, members: [Int], threshold: Double) -> Int? {
        var nearest: Int?
        var nearestDistance = threshold
        for (position, member) in members.enumerated() {
            let flat = benchmark.instances[member].keypointStart + match.keypoint
            guard benchmark.keypointLabelled[flat] else { continue }
            let dx = match.x - benchmark.keypointX[flat]
            let dy = match.y - benchmark.keypointY[flat]
            let distance = (dx * dx + dy * dy).squareRoot()
            if nearest == nil ? distance <= threshold : distance < nearestDistance {
                nearest = position
                nearestDistance = distance
            }
        }
        return nearest
    }

    @inline(__always)
    static func twos(_ count: Int) -> Int { count * (count - 1) / 2 }
}
