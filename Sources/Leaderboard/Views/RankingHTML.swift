// A leaderboard as a self-contained HTML page: the ranked table and, per category, the same
// metric; readable without JavaScript, every text escaped.
import Foundation

public enum RankingHTML {
    public static func render(_ ranking: Ranking, title: String, description: String) -> String {
        let metric = ranking.metric.rawValue + (ranking.alpha.map { "@" + RankingCSV.number($0) } ?? "")
        let scope = ranking.category.map { "category \($0)" } ?? "all categories"
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) leaderboard</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
            table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; }
            th, td { border-bottom: 1px solid #ddd; padding: .35rem .6rem; text-align: left; }
            td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
            caption { text-align: left; font-weight: 600; padding: .5rem 0; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <p>\(escape(description))</p>
            <p>Ranked by <strong>\(escape(metric))</strong>, \(escape(scope)); \(ranking.rows.count) \(ranking.rows.count == 1 ? "entry" : "entries").</p>
            <table id="ranking">
            <caption>Ranking</caption>
            <thead><tr><th class="number">rank</th><th>team</th><th>method</th><th>submitted</th><th class="number">\(escape(metric))</th></tr></thead>
            <tbody>

            """
        for row in ranking.rows {
            html += "<tr><td class=\"number\">\(row.rank)</td><td>\(escape(row.team ?? "anonymous"))</td>"
                + "<td title=\"\(escape(row.description))\">\(escape(row.method))</td><td>\(escape(row.submitted))</td>"
                + "<td class=\"number\">\(value(row.value))</td></tr>\n"
        }
        html += "</tbody>\n</table>\n"
        if !ranking.categoryNames.isEmpty {
            html += "<table id=\"categories\">\n<caption>\(escape(metric)) per category</caption>\n<thead><tr><th class=\"number\">rank</th><th>team</th><th>method</th>"
            html += ranking.categoryNames.map { "<th class=\"number\">\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for row in ranking.rows {
                html += "<tr><td class=\"number\">\(row.rank)</td><td>\(escape(row.team ?? "anonymous"))</td><td>\(escape(row.method))</td>"
                html += ranking.categoryNames.map { "<td class=\"number\">\(value(row.categories[$0] ?? nil))</td>" }.joined() + "</tr>\n"
            }
            html += "</tbody>\n</table>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    static func value(_ value: Double?) -> String { value.map(RankingCSV.number) ?? "–" }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
