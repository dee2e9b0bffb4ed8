// The result of an evaluation (what misc-scores/v1 carries), and the running sums it is
// computed from.

/// mPCK, recall and F1 at one α; nil where no group entered the mean.
public struct AlphaScores: Sendable, Equatable {
    public let alpha: Double
    public let mpck: Double?
    public let recall: Double?
    public let f1: Double?
}

/// The scores of the whole benchmark or of one category.
public struct ScoreSummary: Sendable, Equatable {
    /// Groups (source instance, keypoint) with target truth: the denominator of every mean.
    public let groups: Int
    public let alphas: [AlphaScores]
    /// Mean IoU over masked ground-truth target instances; nil without masks on either side.
    public let miou: Double?
    /// Grouping at α = 0.10 (FORMATS.md section 3.1); nil where no two matches were counted.
    public let grouping: GroupingScores?
}

public struct Scores: Sendable, Equatable {
    public let benchmark: String
    public let method: String?
    public let overall: ScoreSummary
    /// Matches that fell in no group (FORMATS.md section 4).
    public let ignoredMatches: Int
    public let categories: [(name: String, summary: ScoreSummary)]

    public static func == (lhs: Scores, rhs: Scores) -> Bool {
        lhs.benchmark == rhs.benchmark && lhs.method == rhs.method && lhs.overall == rhs.overall
            && lhs.ignoredMatches == rhs.ignoredMatches
            && lhs.categories.map(\.name) == rhs.categories.map(\.name)
            && lhs.categories.map(\.summary) == rhs.categories.map(\.summary)
    }
}

/// Per-group sums for one category, α by α, the mIoU sum and the grouping counts.
struct CategoryTotals {
    var precision: [Double]
    var recall: [Double]
    var f1: [Double]
    var iou: Double = 0
    var grouping = GroupingScores()

    init(alphaCount: Int) {
        precision = Array(repeating: 0, count: alphaCount)
        recall = precision
        f1 = precision
    }

    func summary(alphas: [Double], groups: Int, maskedTargets: Int, masksSubmitted: Bool) -> ScoreSummary {
        let scores = alphas.indices.map { index -> AlphaScores in
            guard groups > 0 else { return AlphaScores(alpha: alphas[index], mpck: nil, recall: nil, f1: nil) }
            let count = Double(groups)
            return AlphaScores(alpha: alphas[index], mpck: precision[index] / count,
                               recall: recall[index] / count, f1: f1[index] / count)
        }
        let miou = masksSubmitted && maskedTargets > 0 ? iou / Double(maskedTargets) : nil
        return ScoreSummary(groups: groups, alphas: scores, miou: miou,
                            grouping: grouping.matchPairs > 0 ? grouping : nil)
    }

    static func + (lhs: CategoryTotals, rhs: CategoryTotals) -> CategoryTotals {
        var sum = lhs
        for index in sum.precision.indices {
            sum.precision[index] += rhs.precision[index]
            sum.recall[index] += rhs.recall[index]
            sum.f1[index] += rhs.f1[index]
        }
        sum.iou += rhs.iou
        sum.grouping = sum.grouping + rhs.grouping
        return sum
    }
}
