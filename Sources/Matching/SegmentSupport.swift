// How strongly each target segment holds each source instance: per group, the best cell of
// its heatmap inside every segment, and per source instance, the share of its labelled
// keypoints with a candidate in the segment (a real instance holds most of them).

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
}
