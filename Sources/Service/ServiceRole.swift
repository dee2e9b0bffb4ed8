// What one `dpcl serve` process does: everything (one machine), inference only (no database,
// no state: scale it out), or the leaderboard only (no model: one replica beside its SQLite
// file). A route of the other role answers 404 with a hint.
import HTTP

public enum ServiceRole: String, Sendable, CaseIterable, Codable {
    case all, inference, leaderboard

    var servesInference: Bool { self != .leaderboard }
    var servesLeaderboard: Bool { self != .inference }

    /// 404s that name the role serving each route this one does not.
    func registerHints(_ router: inout Router) {
        let missing: [(String, String, ServiceRole)] =
            (servesInference ? [] : (MatchRoutes.templates + ProposeRoutes.templates + LabelStudioRoutes.templates).map { ($0.method, $0.template, .inference) })
            + (servesLeaderboard ? [] : LeaderboardRoutes.templates.map { ($0.method, $0.template, .leaderboard) })
        for (method, template, owner) in missing {
            let role = rawValue
            router.add(method, template) { _ in
                throw HTTPError(.notFound, code: "wrong-role",
                                message: "this server runs the \(role) role; \(method) \(template) is served by the \(owner.rawValue) role (dpcl serve --role \(owner.rawValue) or all)")
            }
        }
    }
}
