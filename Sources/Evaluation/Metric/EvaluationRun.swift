// One evaluation in progress: each streamed pair entry is checked against the ground truth
// (the first problem rejects the submission with its JSON path), scored at once, and its
// sums added to its category's; the means are taken at the end.

/// The state of one evaluation while the submission streams by.
struct EvaluationRun {
    let benchmark: Benchmark
    let alphas: [Double]
    var totals: [CategoryTotals]
    var groups: GroupScorer
    var masks: MaskScorer
    var grouping: GroupingScorer
    var ignoredMatches = 0
    /// Where each pair was first seen in the submission, to reject duplicates.
    var seenAt: [Int32]

    init(benchmark: Benchmark, alphas: [Double]) {
        self.benchmark = benchmark
        self.alphas = alphas
        totals = Array(repeating: CategoryTotals(alphaCount: alphas.count), count: benchmark.categories.count)
        groups = GroupScorer(benchmark: benchmark, alphas: alphas)
        masks = MaskScorer(benchmark: benchmark)
        grouping = GroupingScorer(benchmark: benchmark)
        seenAt = Array(repeating: -1, count: benchmark.pairs.count)
    }

    private func fail(_ path: JSONPath, _ problem: InputProblem) -> InputError {
        InputError(.submission, path, problem)
    }

    mutating func add(_ entry: inout PairEntry) throws {
        guard let pairID = entry.pair else { throw fail(entry.path(), .missingField("pair")) }
        guard let pairIndex = benchmark.pairIndex[pairID] else { throw fail(entry.path(.key("pair")), .unknownPair(pairID)) }
        guard seenAt[pairIndex] < 0 else {
            throw fail(entry.path(.key("pair")), .duplicatePair(pairID, firstAt: Int(seenAt[pairIndex])))
        }
        seenAt[pairIndex] = Int32(truncatingIfNeeded: entry.index)
        let pair = benchmark.pairs[pairIndex]
        try localiseSources(&entry, pair: pair, pairIndex: pairIndex)
        try masks.check(entry, pair: pair)
        ignoredMatches += groups.score(pair: pairIndex, matches: entry.matches, into: &totals[pair.category])
        totals[pair.category].iou += masks.score(pairIndex: pairIndex)
        grouping.score(pair: pairIndex, matches: entry.matches, into: &totals[pair.category].grouping)
    }

    /// Checks every match's source instance and keypoint, replacing the instance id by its
    /// position in the pair's source set.
    private func localiseSources(_ entry: inout PairEntry, pair: Benchmark.Pair, pairIndex: Int) throws {
        let keypointCount = benchmark.categories[pair.category].keypoints.count
        let sourceInstances = benchmark.sourceSet[pairIndex].map { benchmark.instanceSets[$0].instances } ?? []
        for index in entry.matches.indices {
            let id = entry.matches[index].sourceInstance
            guard let local = sourceInstances.firstIndex(where: { benchmark.instances[$0].id == id }) else {
                throw fail(PairEntry.path(pair: entry.index, "matches", index, "source_instance"),
                           .unknownSourceInstance(id: id, image: benchmark.images[pair.source].id,
                                                  category: benchmark.categories[pair.category].name))
            }
            let keypoint = entry.matches[index].keypoint
            guard keypoint >= 0 && keypoint < keypointCount else {
                throw fail(PairEntry.path(pair: entry.index, "matches", index, "keypoint"),
                           .keypointOutOfRange(index: keypoint, count: keypointCount))
            }
            entry.matches[index].sourceInstance = local
        }
    }

    func finish(method: String?) -> Scores {
        let groupsPerCategory = benchmark.groupsPerCategory()
        let maskedPerCategory = benchmark.maskedTargetsPerCategory()
        let submitted = masks.sawMasks
        var overall = CategoryTotals(alphaCount: alphas.count)
        var categories: [(name: String, summary: ScoreSummary)] = []
        for (index, category) in benchmark.categories.enumerated() {
            overall = overall + totals[index]
            categories.append((category.name, totals[index].summary(
                alphas: alphas, groups: groupsPerCategory[index], maskedTargets: maskedPerCategory[index],
                masksSubmitted: submitted)))
        }
        let summary = overall.summary(
            alphas: alphas, groups: groupsPerCategory.reduce(0, +), maskedTargets: maskedPerCategory.reduce(0, +),
            masksSubmitted: submitted)
        return Scores(benchmark: benchmark.name, method: method, overall: summary,
                      ignoredMatches: ignoredMatches, categories: categories)
    }
}
