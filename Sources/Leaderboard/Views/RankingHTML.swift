// The leaderboard pages, rendered on the server: a benchmark's ranking (the table, a
// per-category breakdown, a bar chart of F1 and mPCK as inline SVG, links to CSV and JSON,
// how to submit) and the list of benchmarks. Readable without JavaScript; every text escaped.
import Foundation

public enum RankingHTML {
    public static func render(_ ranking: Ranking, benchmark: BenchmarkInfo, query: RankingQuery) -> String {
        let metric = ranking.metric.rawValue + (ranking.alpha.map { "@" + RankingCSV.number($0) } ?? "")
        let scope = ranking.category.map { "category \($0)" } ?? "all categories"
        let api = "/v1/benchmarks/\(benchmark.name)/leaderboard?" + parameters(query)
        var html = head(title: "\(benchmark.title) leaderboard", current: "/leaderboards")
        html += """
            <h1>\(escape(benchmark.title))</h1>
            <p>\(escape(benchmark.description))</p>
            <p class="muted">Benchmark <code>\(escape(benchmark.name))</code>: \(benchmark.pair_count) pairs; \
            categories \(escape(benchmark.categoryNames.joined(separator: ", "))).</p>
            \(leak(benchmark))
            \(form(benchmark: benchmark, query: query))
            <div class="board">
            <p>Ranked by <strong>\(escape(metric))</strong>, \(escape(scope)); \(ranking.rows.count) \(ranking.rows.count == 1 ? "entry" : "entries")\
            \(query.all ? " (every submission)" : " (each team's best public submission)").
            Download: <a href="\(escape(api))&amp;format=csv">CSV</a> · <a href="\(escape(api))&amp;format=json">JSON</a></p>
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
        if ranking.rows.isEmpty { html += "<tr><td colspan=\"5\" class=\"muted\">No scored submission yet.</td></tr>\n" }
        html += "</tbody>\n</table>\n</div>\n"
        if !ranking.categoryNames.isEmpty {
            html += "<div class=\"board\">\n<table id=\"categories\">\n<caption>\(escape(metric)) per category</caption>\n"
            html += "<thead><tr><th class=\"number\">rank</th><th>team</th><th>method</th>"
            html += ranking.categoryNames.map { "<th class=\"number\">\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for row in ranking.rows {
                html += "<tr><td class=\"number\">\(row.rank)</td><td>\(escape(row.team ?? "anonymous"))</td><td>\(escape(row.method))</td>"
                html += ranking.categoryNames.map { "<td class=\"number\">\(value(row.categories[$0] ?? nil))</td>" }.joined() + "</tr>\n"
            }
            html += "</tbody>\n</table>\n</div>\n"
        }
        html += chart(ranking.rows, alpha: query.alpha, scope: scope)
        html += """
            <div class="board">
            <h2>How to submit</h2>
            <p>Download the inputs and the images, run your method, and send a <code>misc-predictions/v1</code> file with your team's token:</p>
            <pre>curl -O \(escape("/v1/benchmarks/\(benchmark.name)/inputs"))
            curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Idempotency-Key: my-run-1' \\
                 -X POST -T predictions.json \(escape("/v1/benchmarks/\(benchmark.name)/submissions"))
            curl -H "Authorization: Bearer $TOKEN" /v1/submissions/ID</pre>
            <p class="muted">Prefix the paths with this server's address. Images: <code>\(escape("/v1/benchmarks/\(benchmark.name)/images/FILE"))</code>, FILE as the inputs name it.</p>
            </div>
            </main>
            </body>
            </html>

            """
        return html
    }

    /// The list of benchmarks, each with its leader on F1@0.10.
    public static func index(_ entries: [(benchmark: BenchmarkInfo, leader: RankedSubmission?)]) -> String {
        var html = head(title: "Leaderboards", current: "/leaderboards")
        html += "<h1>Leaderboards</h1>\n<div class=\"board\">\n<table id=\"benchmarks\">\n<caption>Benchmarks</caption>\n"
        html += "<thead><tr><th>benchmark</th><th>categories</th><th class=\"number\">pairs</th><th>leader (F1@0.10)</th></tr></thead>\n<tbody>\n"
        for (benchmark, leader) in entries {
            let lead = leader.map { "\(escape($0.team ?? "anonymous")) — \(escape($0.method)) (\(value($0.value)))" } ?? "<span class=\"muted\">no submission yet</span>"
            html += "<tr><td><a href=\"/leaderboards/\(escape(benchmark.name))\">\(escape(benchmark.title))</a></td>"
                + "<td>\(escape(benchmark.categoryNames.joined(separator: ", ")))</td><td class=\"number\">\(benchmark.pair_count)</td><td>\(lead)</td></tr>\n"
        }
        if entries.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No benchmark yet.</td></tr>\n" }
        html += "</tbody>\n</table>\n</div>\n</main>\n</body>\n</html>\n"
        return html
    }

    static func head(title: String, current: String) -> String {
        func link(_ path: String, _ text: String) -> String {
            "<a href=\"\(path)\"\(path == current ? " aria-current=\"page\"" : "")>\(text)</a>"
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <link rel="stylesheet" href="/style.css">
            </head>
            <body>
            <header>
            <h1>DPCL <span>multi-instance semantic correspondence</span></h1>
            <nav aria-label="Site">\(link("/", "Match a pair")) \(link("/leaderboards", "Leaderboards")) \(link("/openapi.yaml", "API"))</nav>
            </header>
            <main>

            """
    }

    /// What the public inputs give away of the truth: a team could submit what it was shown.
    static func leak(_ benchmark: BenchmarkInfo) -> String {
        guard let leak = benchmark.leak else {
            return "<p id=\"leak\" class=\"muted\">Leak: not measured (added before the leak was measured).</p>"
        }
        guard leak.leakedInstances > 0 else {
            return "<p id=\"leak\" class=\"muted\">Leak: none; no target instance appears in the public inputs.</p>"
        }
        return "<p id=\"leak\"><strong>Leak: \(escape(leak.summary)) appear in the public inputs</strong> (their images are "
            + "targets of some pairs and sources of others), so a method can be given their truth; added with the leak allowed.</p>"
    }

    /// The view's choices as a GET form: it works without JavaScript.
    static func form(benchmark: BenchmarkInfo, query: RankingQuery) -> String {
        func option(_ value: String, _ text: String, selected: Bool) -> String {
            "<option value=\"\(escape(value))\"\(selected ? " selected" : "")>\(escape(text))</option>"
        }
        let alphas = RankingQuery.alphas.map { option(RankingCSV.number($0), RankingCSV.number($0), selected: abs($0 - query.alpha) < 1e-9) }
        let metrics = RankingMetric.allCases.map { option($0.rawValue, $0.rawValue, selected: $0 == query.metric) }
        let categories = [option("", "all", selected: query.category == nil)]
            + benchmark.categoryNames.map { option($0, $0, selected: $0 == query.category) }
        return """
            <form class="board row" method="get" action="/leaderboards/\(escape(benchmark.name))">
            <label>α <select name="alpha">\(alphas.joined())</select></label>
            <label>metric <select name="metric">\(metrics.joined())</select></label>
            <label>category <select name="category">\(categories.joined())</select></label>
            <label><input type="checkbox" name="all" value="1"\(query.all ? " checked" : "")> every submission</label>
            <button type="submit">Show</button>
            </form>

            """
    }

    /// Horizontal bars, F1 and mPCK side by side for each ranked row (the first 20).
    static func chart(_ rows: [RankedSubmission], alpha: Double, scope: String) -> String {
        guard !rows.isEmpty else { return "" }
        let shown = Array(rows.prefix(20))
        let (labelWidth, barWidth, rowHeight) = (220.0, 420.0, 34.0)
        let height = Double(shown.count) * rowHeight + 30
        let a = RankingCSV.number(alpha)
        var svg = """
            <div class="board">
            <figure>
            <svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 \(Int(labelWidth + barWidth + 60)) \(Int(height))" width="100%">
            <title id="chart-title">F1 and mPCK at α = \(a), \(escape(scope))</title>
            <rect x="\(labelWidth)" y="4" width="12" height="10" fill="#1f6feb"/><text x="\(labelWidth + 16)" y="13">F1@\(a)</text>
            <rect x="\(labelWidth + 110)" y="4" width="12" height="10" fill="#f58231"/><text x="\(labelWidth + 126)" y="13">mPCK@\(a)</text>

            """
        for (index, row) in shown.enumerated() {
            let y = 24 + Double(index) * rowHeight
            let label = "\(row.rank). \(row.team ?? "anonymous") — \(row.method)"
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 17)\" text-anchor=\"end\">\(escape(String(label.prefix(32))))</text>\n"
            for (offset, score, colour) in [(0.0, row.scores["f1"] ?? nil, "#1f6feb"), (14.0, row.scores["mpck"] ?? nil, "#f58231")] {
                let width = max(0, min(1, score ?? 0)) * barWidth
                svg += "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y + offset)\" width=\"\(String(format: "%.1f", width))\" height=\"12\" fill=\"\(colour)\">"
                    + "<title>\(value(score))</title></rect>"
                svg += "<text x=\"\(String(format: "%.1f", labelWidth + width + 4))\" y=\"\(y + offset + 10)\">\(value(score))</text>\n"
            }
        }
        svg += "</svg>\n<figcaption class=\"muted\">F1 and mPCK at α = \(a), \(escape(scope)).</figcaption>\n</figure>\n</div>\n"
        return svg
    }

    /// The query string of a view (for the CSV and JSON links).
    static func parameters(_ query: RankingQuery) -> String {
        var items = ["alpha=\(RankingCSV.number(query.alpha))", "metric=\(query.metric.rawValue)"]
        if let category = query.category { items.append("category=\(category.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") }
        if query.all { items.append("all=1") }
        return items.joined(separator: "&")
    }

    static func value(_ value: Double?) -> String { value.map(RankingCSV.number) ?? "–" }

    static func escape(_ text: String) -> String {
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
