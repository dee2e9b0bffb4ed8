// Leaderboards: done submissions of a benchmark ranked on one metric at one α, overall or
// in one category; by default each team's best public submission, with `all` every one.
import Evaluation
import Foundation
import GRDB

public enum RankingMetric: String, Sendable, CaseIterable, Codable {
    case mpck, recall, f1, miou, grouping

    /// mIoU and grouping do not depend on α (grouping is defined at α = 0.10).
    public var usesAlpha: Bool { self == .mpck || self == .recall || self == .f1 }
}

public struct RankingQuery: Sendable, Equatable {
    /// The α the evaluation keeps scores at: the only ones a ranking can be on.
    public static let alphas = EvaluationOptions.paperAlphas

    public var alpha = 0.10
    public var metric = RankingMetric.f1
    /// nil: the benchmark overall.
    public var category: String?
    public var all = false

    public init(alpha: Double = 0.10, metric: RankingMetric = .f1, category: String? = nil, all: Bool = false) {
        self.alpha = alpha
        self.metric = metric
        self.category = category
        self.all = all
    }
}

public struct RankedSubmission: Sendable, Equatable, Codable {
    public let rank: Int
    public let submission: Int64
    /// nil for an anonymous submission.
    public let team: String?
    public let method: String
    public let description: String
    public let submitted: String
    /// The ranked metric: overall, or in the query's category.
    public let value: Double?
    /// The ranked metric in every category of the benchmark (null where undefined).
    public let categories: [String: Double?]
    /// Every metric (by its name) at the query's α, overall or in the query's category.
    public let scores: [String: Double?]
}

public struct Ranking: Sendable, Equatable, Codable {
    public let benchmark: String
    public let metric: RankingMetric
    public let alpha: Double?
    public let category: String?
    public let categoryNames: [String]
    public let rows: [RankedSubmission]
}

extension Store {
    public func ranking(benchmark name: String, _ query: RankingQuery) throws -> Ranking {
        guard let info = try benchmark(named: name) else { throw LeaderboardError.notFound(what: "benchmark", name: name) }
        let categoryNames = info.categoryNames
        if let category = query.category, !categoryNames.contains(category) {
            throw LeaderboardError.invalid(field: "category", reason: "\(category) is not a category of \(name) (\(categoryNames.joined(separator: ", ")))")
        }
        // Every metric of every done submission, per category ("" for overall), in one read.
        let rows = try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.id, s.method, s.description, s.visibility, s.submitted, t.name AS team, cs.category,
                       sc.alpha, sc.mpck, sc.recall, sc.f1, cs.miou, cs.grouping
                FROM submission s JOIN team t ON t.id = s.team
                JOIN category_score cs ON cs.submission = s.id
                LEFT JOIN score sc ON sc.submission = s.id AND sc.category = cs.category AND abs(sc.alpha - ?) < 1e-9
                WHERE s.benchmark = ? AND s.status = 'done' ORDER BY s.id
                """, arguments: [query.alpha, name])
        }
        if query.metric.usesAlpha, !rows.isEmpty, rows.allSatisfy({ ($0["alpha"] as Double?) == nil }) {
            throw LeaderboardError.invalid(field: "alpha", reason: "no scores at α = \(query.alpha); scores are kept at 0.05, 0.10, 0.15 and 1.00")
        }
        typealias Metrics = [RankingMetric: Double?]
        struct Entry { let id: Int64; let method, description, visibility, submitted, team: String; var overall = Metrics(); var categories: [String: Metrics] = [:] }
        var entries: [Int64: Entry] = [:]
        var order: [Int64] = []
        for row in rows {
            let id: Int64 = row["id"]
            if entries[id] == nil {
                entries[id] = Entry(id: id, method: row["method"], description: row["description"], visibility: row["visibility"],
                                    submitted: row["submitted"], team: row["team"])
                order.append(id)
            }
            let metrics: Metrics = Dictionary(uniqueKeysWithValues: RankingMetric.allCases.map { ($0, row[$0.rawValue] as Double?) })
            let category: String = row["category"]
            if category.isEmpty { entries[id]!.overall = metrics } else { entries[id]!.categories[category] = metrics }
        }
        /// The metrics of the query's scope: overall, or its category.
        func scope(_ entry: Entry) -> Metrics { query.category.map { entry.categories[$0] ?? [:] } ?? entry.overall }
        func ranked(_ entry: Entry) -> Double? { scope(entry)[query.metric] ?? nil }
        // Best first; undefined values last; on a tie the earlier submission first.
        var sorted = order.compactMap { entries[$0] }.sorted { a, b in
            switch (ranked(a), ranked(b)) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.id < b.id
            }
        }
        if !query.all {
            var seen = Set<String>()
            sorted = sorted.filter { $0.visibility == "public" && seen.insert($0.team).inserted }
        }
        var result: [RankedSubmission] = []
        for (index, entry) in sorted.enumerated() {
            // Equal values share a rank (1, 2, 2, 4).
            let rank = index > 0 && ranked(sorted[index - 1]) == ranked(entry) ? result[index - 1].rank : index + 1
            let metrics = scope(entry)
            result.append(RankedSubmission(
                rank: rank, submission: entry.id, team: entry.visibility == "public" ? entry.team : nil,
                method: entry.method, description: entry.description, submitted: entry.submitted, value: ranked(entry),
                categories: Dictionary(uniqueKeysWithValues: categoryNames.map { ($0, entry.categories[$0]?[query.metric] ?? nil) }),
                scores: Dictionary(uniqueKeysWithValues: RankingMetric.allCases.map { ($0.rawValue, metrics[$0] ?? nil) })))
        }
        return Ranking(benchmark: name, metric: query.metric, alpha: query.metric.usesAlpha ? query.alpha : nil,
                       category: query.category, categoryNames: categoryNames, rows: result)
    }
}
