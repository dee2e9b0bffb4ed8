// Scores as a text table in the layout of the paper's Table 2: one row per α (and one each
// for mIoU and grouping), one column per category and a last column "all", numbers in
// percent with two decimals. Recall and F1 follow in two more blocks of the same shape.

public enum ScoresTable {
    public static func render(_ scores: Scores) -> String {
        let names = scores.categories.map(\.name) + ["all"]
        let summaries = scores.categories.map(\.summary) + [scores.overall]
        var lines: [String] = []
        lines.append("benchmark \(scores.benchmark)" + (scores.method.map { ", method \($0)" } ?? "")
                     + ": \(scores.overall.groups) groups, \(scores.ignoredMatches) ignored matches")
        let blocks: [(String, (AlphaScores) -> Double?)] = [("mPCK", \.mpck), ("recall", \.recall), ("F1", \.f1)]
        for (blockIndex, (title, value)) in blocks.enumerated() {
            var rows: [[String]] = [[title] + names]
            for (alphaIndex, alpha) in scores.overall.alphas.enumerated() {
                rows.append(["@\(ScoresDocument.alphaKey(alpha.alpha))"]
                            + summaries.map { percent(value($0.alphas[alphaIndex])) })
            }
            if blockIndex == 0 {
                rows.append(["mIoU"] + summaries.map { percent($0.miou) })
                rows.append(["grouping"] + summaries.map { percent($0.grouping?.score) })
            }
            lines.append("")
            lines.append(contentsOf: layout(rows))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "-" }
        return ScoresDocument.twoDecimals(hundredths: Int((value * 10_000).rounded()))
    }

    /// Left-aligned first column, right-aligned numbers, columns as wide as their widest cell.
    private static func layout(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
    }
}
