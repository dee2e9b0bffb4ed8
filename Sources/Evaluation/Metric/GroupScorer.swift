// The keypoint half of the metric for one pair: matches sorted into groups (source
// instance, keypoint), each group assigned to its target truth at every α, and the
// per-group precision, recall and F1 added to the category's sums. Scratch buffers are
// reused from pair to pair.

struct GroupScorer {
    let benchmark: Benchmark
    let alphas: [Double]
    private var solver = HungarianSolver<AdmissibleFirstCost>()
    /// Matches per group, then group start offsets (counting sort).
    private var groupStart: [Int] = []
    private var order: [Int] = []
    private var distances: [Double] = []

    init(benchmark: Benchmark, alphas: [Double]) {
        self.benchmark = benchmark
        self.alphas = alphas
    }

    /// Scores one pair's matches, whose `sourceInstance` already holds the position of the
    /// instance in the pair's source set. Returns how many matches fell in no group.
    mutating func score(pair pairIndex: Int, matches: [SubmittedMatch], into totals: inout CategoryTotals) -> Int {
        guard !matches.isEmpty else { return 0 }
        let pair = benchmark.pairs[pairIndex]
        guard let sourceSetIndex = benchmark.sourceSet[pairIndex], let targetSetIndex = benchmark.targetSet[pairIndex] else {
            return matches.count
        }
        let sourceSet = benchmark.instanceSets[sourceSetIndex]
        let truth = benchmark.instanceSets[targetSetIndex]
        let keypointCount = benchmark.categories[pair.category].keypoints.count
        let groupCount = sourceSet.instances.count * keypointCount
        let scale = benchmark.images[pair.target].scale
        let benchmark = benchmark
        /// The match's group; nil where its source keypoint is unlabelled or the target has
        /// no truth for that keypoint.
        func group(of match: SubmittedMatch) -> Int? {
            guard benchmark.isLabelled(instance: sourceSet.instances[match.sourceInstance], keypoint: match.keypoint),
                  truth.truthCount(keypoint: match.keypoint) > 0 else { return nil }
            return match.sourceInstance * keypointCount + match.keypoint
        }

        // Counting sort of the matches by group; those in no group are counted and dropped.
        groupStart.removeAll(keepingCapacity: true)
        groupStart.append(contentsOf: repeatElement(0, count: groupCount + 1))
        var ignored = 0
        for match in matches {
            if let group = group(of: match) {
                groupStart[group + 1] += 1
            } else {
                ignored += 1
            }
        }
        if ignored == matches.count { return ignored }
        for group in 0..<groupCount { groupStart[group + 1] += groupStart[group] }
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: repeatElement(0, count: matches.count - ignored))
        // groupStart[g] is advanced while filling, then restored by a shift.
        for (index, match) in matches.enumerated() {
            guard let group = group(of: match) else { continue }
            order[groupStart[group]] = index
            groupStart[group] += 1
        }
        for group in stride(from: groupCount, to: 0, by: -1) { groupStart[group] = groupStart[group - 1] }
        groupStart[0] = 0

        for group in 0..<groupCount {
            let start = groupStart[group]
            let predictions = groupStart[group + 1] - start
            guard predictions > 0 else { continue }
            let keypoint = group % keypointCount
            let truthStart = truth.truthStart[keypoint]
            let truths = truth.truthStart[keypoint + 1] - truthStart
            // Distances once per group, reused at every α.
            distances.removeAll(keepingCapacity: true)
            for slot in start..<(start + predictions) {
                let match = matches[order[slot]]
                for column in 0..<truths {
                    let dx = match.x - truth.truthX[truthStart + column]
                    let dy = match.y - truth.truthY[truthStart + column]
                    distances.append((dx * dx + dy * dy).squareRoot())
                }
            }
            for (alphaIndex, alpha) in alphas.enumerated() {
                let positives = Self.truePositives(
                    &solver, distances: distances, rows: predictions, columns: truths, threshold: alpha * scale)
                let precision = Double(positives) / Double(predictions)
                let recall = Double(positives) / Double(truths)
                totals.precision[alphaIndex] += precision
                totals.recall[alphaIndex] += recall
                if positives > 0 { totals.f1[alphaIndex] += 2 * precision * recall / (precision + recall) }
            }
        }
        return ignored
    }

    /// TP of one group: admissible pairs in an assignment with the most admissible pairs
    /// (and, among those, the least distance), over the `rows × columns` matrix in `distances`.
    static func truePositives(
        _ solver: inout HungarianSolver<AdmissibleFirstCost>, distances: [Double], rows: Int, columns: Int, threshold: Double
    ) -> Int {
        var admissible = 0
        for distance in distances where distance <= threshold { admissible += 1 }
        // With one prediction or one truth, or every pairing admissible, the optimum is plain.
        if admissible == 0 { return 0 }
        if rows == 1 || columns == 1 { return 1 }
        if admissible == rows * columns { return min(rows, columns) }
        return solve(&solver, distances: distances, rows: rows, columns: columns, threshold: threshold)
    }

    /// The full Kuhn-Munkres solve (also what the property tests pit against brute force).
    static func solve(
        _ solver: inout HungarianSolver<AdmissibleFirstCost>, distances: [Double], rows: Int, columns: Int, threshold: Double
    ) -> Int {
        solver.solve(rows: rows, columns: columns) { row, column in
            AdmissibleFirstCost(distance: distances[row * columns + column], threshold: threshold)
        }
        var positives = 0
        for row in 0..<rows {
            let column = solver.columnOfRow[row]
            if column >= 0 && distances[row * columns + column] <= threshold { positives += 1 }
        }
        return positives
    }
}
