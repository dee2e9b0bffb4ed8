// Separates instances the cut left together: one instance shows a distinctive keypoint (a
// nose, a head top) once, so a segment holding two far-apart peaks of such keypoints holds
// two instances. It is cut again with that count, seeded at the peaks. Symmetric keypoints
// (left and right wrists look alike) are not counted: one instance may show each twice.

enum InstanceSplitting {
    /// Per group: whether its keypoint is distinctive within its source instance, i.e. its
    /// feature's highest cosine with the instance's other keypoints is below their median.
    static func distinctive(queries: [Float], groups: [Matcher.Group], channels c: Int) -> [Bool] {
        var highest = [Float](repeating: -.infinity, count: groups.count)
        for a in groups.indices {
            for b in groups.indices where b != a && groups[b].instance == groups[a].instance {
                var dot: Float = 0
                for j in 0..<c { dot += queries[a * c + j] * queries[b * c + j] }
                highest[a] = max(highest[a], dot)
            }
        }
        var result = [Bool](repeating: true, count: groups.count)
        for instance in Set(groups.map(\.instance)) {
            let members = groups.indices.filter { groups[$0].instance == instance }
            guard members.count >= 3 else { continue }
            let sorted = members.map { highest[$0] }.sorted()
            let median = sorted[sorted.count / 2]
            for member in members { result[member] = highest[member] < median }
        }
        return result
    }

    static func split(_ segments: NormalizedCut.Result, peaks: [[Peak]], groups: [Matcher.Group], distinctive: [Bool], features: FeatureMap,
                      factor: Int, config: MatcherConfig.Segmentation) -> NormalizedCut.Result {
        let gw = features.geometry.gridWidth
        var labels = segments.labels
        var count = segments.count
        for segment in 0..<segments.count {
            // Peaks of each distinctive group inside the segment.
            var inside: [(group: Int, patches: [Int], heat: Float)] = []
            for (group, groupPeaks) in peaks.enumerated() where distinctive[group] {
                let here = groupPeaks.filter { labels[$0.patch(factor: factor, gridWidth: gw)] == segment }
                if !here.isEmpty {
                    inside.append((group, here.map { $0.patch(factor: factor, gridWidth: gw) }, here.map(\.heat).reduce(0, +)))
                }
            }
            // Per source instance, the largest count that at least half of its present
            // distinctive keypoints show; the segment holds the most any instance sees.
            var k = 1
            var seedGroup: (group: Int, patches: [Int], heat: Float)?
            for instance in Set(inside.map { groups[$0.group].instance }).sorted() {
                let mine = inside.filter { groups[$0.group].instance == instance }
                guard mine.count >= 2 else { continue }
                for candidate in 2...max(2, mine.map(\.patches.count).max() ?? 2)
                where candidate > k && mine.filter({ $0.patches.count >= candidate }).count * 2 >= mine.count {
                    k = candidate
                    seedGroup = mine.filter { $0.patches.count == candidate }.max { ($0.heat, -$0.group) < ($1.heat, -$1.group) }
                }
            }
            guard k >= 2, let seedGroup, Set(seedGroup.patches).count == k else { continue }
            let nodes = labels.indices.filter { labels[$0] == segment }
            let seeds = seedGroup.patches.compactMap { nodes.firstIndex(of: $0) }
            guard seeds.count == k,
                  let assignment = NormalizedCut.split(features, nodes: nodes, seeds: seeds, config: config) else { continue }
            for (index, patch) in nodes.enumerated() where assignment[index] > 0 {
                labels[patch] = count + assignment[index] - 1
            }
            count += k - 1
        }
        guard count != segments.count else { return segments }
        return NormalizedCut.Result(labels: labels, count: count).renumbered(minPatches: config.minPatches)
    }
}
