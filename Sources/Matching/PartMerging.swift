// Keeps single instances whole: the normalised cut may cut one animal or person into parts
// (head, body, legs). Parts of one instance hold complementary keypoints, while two
// instances hold the same ones, so touching segments whose keypoint candidates barely
// overlap are merged, least overlapping first.

enum PartMerging {
    /// A segment holds a group's keypoint when one of the group's peaks (after NMS) falls in
    /// it: secondary cells beside a peak across a border do not count.
    static func merge(_ segments: NormalizedCut.Result, peaks: [[Peak]], groups: [Matcher.Group], factor: Int,
                      maxOverlap: Double, gridWidth gw: Int, reach: Int) -> NormalizedCut.Result {
        guard segments.count > 1, maxOverlap > 0 else { return segments }
        var labels = segments.labels
        var present = [Set<Int>](repeating: [], count: segments.count)
        for (group, groupPeaks) in peaks.enumerated() {
            for peak in groupPeaks {
                let segment = labels[peak.patch(factor: factor, gridWidth: gw)]
                if segment >= 0 { present[segment].insert(group) }
            }
        }
        var alive = Set(0..<segments.count)
        while alive.count > 1 {
            let touching = touchingPairs(labels, gridWidth: gw, reach: reach)
            var best: (a: Int, b: Int, overlap: Double)?
            // In a fixed order, so that ties resolve the same way in every process.
            for pair in touching.sorted(by: { ($0.a, $0.b) < ($1.a, $1.b) }) where alive.contains(pair.a) && alive.contains(pair.b) {
                let (a, b) = (pair.a, pair.b)
                guard let overlap = overlap(present[a], present[b], groups: groups) else { continue }
                if overlap < maxOverlap && (best == nil || overlap < best!.overlap) { best = (a, b, overlap) }
            }
            guard let (a, b, _) = best else { break }
            for index in labels.indices where labels[index] == b { labels[index] = a }
            present[a].formUnion(present[b])
            alive.remove(b)
        }
        // Merged-away labels are empty now and drop out.
        return NormalizedCut.Result(labels: labels, count: segments.count).renumbered(minPatches: 1)
    }

    /// The share of shared keypoints, |A ∩ B| / min(|A|, |B|), of the source instance that
    /// both segments hold most of; nil when no instance has a candidate in both.
    static func overlap(_ a: Set<Int>, _ b: Set<Int>, groups: [Matcher.Group]) -> Double? {
        var perInstance: [Int: (a: Set<Int>, b: Set<Int>)] = [:]
        for group in a { perInstance[groups[group].instance, default: ([], [])].a.insert(groups[group].keypoint) }
        for group in b { perInstance[groups[group].instance, default: ([], [])].b.insert(groups[group].keypoint) }
        var result: (held: Int, overlap: Double)?
        for instance in perInstance.keys.sorted() {
            guard let sets = perInstance[instance], !sets.a.isEmpty, !sets.b.isEmpty else { continue }
            let held = sets.a.union(sets.b).count
            let overlap = Double(sets.a.intersection(sets.b).count) / Double(min(sets.a.count, sets.b.count))
            if result == nil || held > result!.held { result = (held, overlap) }
        }
        return result?.overlap
    }

    /// Segment pairs with patches at most `reach` cells apart (Chebyshev).
    static func touchingPairs(_ labels: [Int], gridWidth gw: Int, reach: Int) -> Set<Pair> {
        var pairs = Set<Pair>()
        let rows = labels.count / gw
        for (patch, label) in labels.enumerated() where label >= 0 {
            let (i, j) = (patch / gw, patch % gw)
            for di in 0...reach {
                for dj in -reach...reach where di > 0 || dj > 0 {
                    let (ni, nj) = (i + di, j + dj)
                    guard ni < rows, nj >= 0, nj < gw else { continue }
                    let other = labels[ni * gw + nj]
                    if other >= 0 && other != label { pairs.insert(Pair(min(label, other), max(label, other))) }
                }
            }
        }
        return pairs
    }

    struct Pair: Hashable {
        let a: Int, b: Int
        init(_ a: Int, _ b: Int) { self.a = a; self.b = b }
    }
}
