// A leaderboard as CSV (RFC 4180): one row per ranked submission, the ranked metric and its
// value in every category.
import Foundation

public enum RankingCSV {
    public static func render(_ ranking: Ranking) -> String {
        let metric = ranking.metric.rawValue + (ranking.alpha.map { "@" + Self.number($0) } ?? "")
        var lines = [(["rank", "team", "submission", "method", "submitted", metric]
            + ranking.categoryNames.map { "\(metric) \($0)" }).map(field).joined(separator: ",")]
        for row in ranking.rows {
            let cells = [String(row.rank), row.team ?? "anonymous", String(row.submission), row.method, row.submitted,
                         row.value.map(number) ?? ""] + ranking.categoryNames.map { (row.categories[$0] ?? nil).map(number) ?? "" }
            lines.append(cells.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func number(_ value: Double) -> String { String(format: "%.4f", value) }

    /// Quoted when it holds a comma, quote or line break; quotes doubled.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
