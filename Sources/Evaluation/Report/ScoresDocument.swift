// Scores written as a misc-scores/v1 document (FORMATS.md section 4), members in the order
// shown there. Numbers are written in Swift's shortest round-trip form, so a reader gets
// back the exact Doubles.

public enum ScoresDocument {
    public static let format = "misc-scores/v1"

    /// The key of an α: two decimals ("0.05", "1.00"), more where two would not round-trip.
    public static func alphaKey(_ alpha: Double) -> String {
        let hundredths = (alpha * 100).rounded()
        if hundredths / 100 == alpha, hundredths >= 0, hundredths < 1e15 {
            return twoDecimals(hundredths: Int(hundredths))
        }
        return "\(alpha)"
    }

    /// A count of hundredths (≥ 0) written with two decimals: 5 → "0.05".
    static func twoDecimals(hundredths: Int) -> String {
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    public static func json(_ scores: Scores) -> String {
        var out = "{\n"
        out += "  \"format\": \(quoted(format)),\n"
        out += "  \"benchmark\": \(quoted(scores.benchmark)),\n"
        out += "  \"overall\": "
        summary(scores.overall, ignoredMatches: scores.ignoredMatches, indent: "  ", into: &out)
        out += ",\n  \"categories\": {"
        for (index, category) in scores.categories.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "    \(quoted(category.name)): "
            summary(category.summary, ignoredMatches: nil, indent: "    ", into: &out)
        }
        out += scores.categories.isEmpty ? "}\n}\n" : "\n  }\n}\n"
        return out
    }

    private static func summary(_ summary: ScoreSummary, ignoredMatches: Int?, indent: String, into out: inout String) {
        out += "{\n\(indent)  \"groups\": \(summary.groups),\n"
        if let ignoredMatches { out += "\(indent)  \"ignored_matches\": \(ignoredMatches),\n" }
        out += "\(indent)  \"alphas\": {"
        for (index, scores) in summary.alphas.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "\(indent)    \(quoted(alphaKey(scores.alpha))): {\"mpck\": \(number(scores.mpck)), "
                + "\"recall\": \(number(scores.recall)), \"f1\": \(number(scores.f1))}"
        }
        out += summary.alphas.isEmpty ? "},\n" : "\n\(indent)  },\n"
        out += "\(indent)  \"miou\": \(number(summary.miou)),\n"
        out += "\(indent)  \"grouping\": \(grouping(summary.grouping))\n\(indent)}"
    }

    /// FORMATS.md section 3.1: `{"score", "same", "different", "match_pairs"}`, or null.
    static func grouping(_ grouping: GroupingScores?) -> String {
        guard let grouping else { return "null" }
        return "{\"score\": \(number(grouping.score)), \"same\": \(number(grouping.same)), "
            + "\"different\": \(number(grouping.different)), \"match_pairs\": \(grouping.matchPairs)}"
    }

    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return "\(value)"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
