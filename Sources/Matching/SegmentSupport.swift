// How strongly each target segment holds each source instance: per group, the best cell of
// its heatmap inside every segment, and per source instance, the share of its labelled
// keypoints with a candidate in the segment. A real instance holds most keypoints; a
// fragment of one animal (a leg, a wing) holds few, and is merged into its neighbour.

struct SegmentSupport {
    /// best[group][segment]: the segment's cell of highest heat (cell −1: none).
    let best: [[(cell: Int, heat: Float)]]
    /// share[instance][segment] of the instance's labelled keypoints whose best cell in
    /// the segment reaches the threshold.
    let share: [[Double]]

    init(maps: [Heatmap], groups: [Matcher.Group], instanceCount: Int, segments: NormalizedCut.Result,
         gridWidth: Int, factor: Int, threshold: Float) {
        var best = [[(cell: Int, heat: Float)]]()
        best.reserveCapacity(maps.count)
        for map in maps {
            var cells = [(cell: Int, heat: Float)](repeating: (-1, -.infinity), count: segments.count)
            map.heat.withUnsafeBufferPointer { heat in
                for i in 0..<map.rows {
                    let patchRow = (i / factor) * gridWidth
                    for j in 0..<map.columns {
                        let label = segments.labels[patchRow + j / factor]
                        let value = heat[i * map.columns + j]
                        if label >= 0 && value > cells[label].heat { cells[label] = (i * map.columns + j, value) }
                    }
                }
            }
            best.append(cells)
        }
        var share = [[Double]](repeating: [Double](repeating: 0, count: segments.count), count: instanceCount)
        var labelled = [Int](repeating: 0, count: instanceCount)
        for (row, group) in groups.enumerated() {
            labelled[group.instance] += 1
            for (label, candidate) in best[row].enumerated() where candidate.heat >= threshold {
                share[group.instance][label] += 1
            }
        }
        for index in 0..<instanceCount where labelled[index] > 0 {
            share[index] = share[index].map { $0 / Double(labelled[index]) }
        }
        self.best = best
        self.share = share
    }

    /// Merges every segment that no source instance supports with at least `minimum` into
    /// the segment it shares the longest border with (weakest first), renumbering by size.
    static func mergeFragments(_ segments: NormalizedCut.Result, support: SegmentSupport, minimum: Double,
                               gridWidth gw: Int) -> NormalizedCut.Result {
        guard segments.count > 1 else { return segments }
        var labels = segments.labels
        let strength = (0..<segments.count).map { label in support.share.map { $0[label] }.max() ?? 0 }
        for label in (0..<segments.count).sorted(by: { strength[$0] < strength[$1] }) where strength[label] < minimum {
            var border = [Int: Int]()
            for (patch, owner) in labels.enumerated() where owner == label {
                let (i, j) = (patch / gw, patch % gw)
                for (di, dj) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                    let (ni, nj) = (i + di, j + dj)
                    guard ni >= 0, nj >= 0, nj < gw, ni * gw + nj < labels.count else { continue }
                    let other = labels[ni * gw + nj]
                    if other >= 0 && other != label { border[other, default: 0] += 1 }
                }
            }
            guard let into = border.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) })?.key else { continue }
            for patch in labels.indices where labels[patch] == label { labels[patch] = into }
        }
        // Renumber the survivors by decreasing size.
        var sizes = [Int: Int]()
        for label in labels where label >= 0 { sizes[label, default: 0] += 1 }
        let order = sizes.keys.sorted { (sizes[$0]!, -$0) > (sizes[$1]!, -$1) }
        var renamed = [Int: Int]()
        for (index, label) in order.enumerated() { renamed[label] = index }
        return NormalizedCut.Result(labels: labels.map { $0 >= 0 ? renamed[$0]! : -1 }, count: order.count)
    }
}
