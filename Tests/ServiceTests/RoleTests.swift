// `--role`: inference opens no database, leaderboard loads no model, each answers the other's
// routes with a 404 that names the role serving them, and readiness and version say the role.
import Foundation
import HTTP
import Leaderboard
import Testing
@testable import Service

@Suite struct RoleTests {
    @Test func inferenceKeepsNoStateAndPointsLeaderboardRoutesElsewhere() throws {
        let service = try LiveService { $0.role = .inference }
        defer { service.stop() }
        #expect(!FileManager.default.fileExists(atPath: service.dataDirectory.appending(path: "leaderboard.sqlite").path))
        #expect(service.leaderboard == nil)
        let ready = try service.get("/readyz")
        #expect(ready.status == 200 && ready.text.contains("\"role\":\"inference\""))
        #expect(try JSONDecoder().decode(ServiceVersion.self, from: try service.get("/v1/version").body).role == .inference)
        for path in ["/v1/teams", "/v1/benchmarks/x/leaderboard", "/leaderboards"] {
            let answer = try service.get(path)
            #expect(answer.status == 404 && answer.text.contains("wrong-role") && answer.text.contains("leaderboard role"), "\(path): \(answer.text)")
        }
        // Its own routes are there.
        #expect(try service.get("/v1/models").status == 503, "no model in this test, but the route is served")
    }

    @Test func leaderboardLoadsNoModelAndPointsMatchElsewhere() throws {
        let service = try LiveService { $0.role = .leaderboard }
        defer { service.stop() }
        #expect(service.leaderboard != nil)
        #expect(try service.get("/readyz").text.contains("\"role\":\"leaderboard\""))
        let match = try service.curl(["-F", "source=@/dev/null"], "/v1/match")
        #expect(match.status == 404 && match.text.contains("inference role"), "\(match.text)")
        #expect(try service.get("/v1/models").status == 404)
        #expect(try service.get("/v1/benchmarks").status == 200)
    }

    /// The route lists behind the hints are the routes each part registers.
    @Test func theHintListsAreTheRegisteredRoutes() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "roles-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var router = Router()
        LeaderboardRoutes(store: try Store(directory: folder), configuration: LeaderboardConfiguration()).register(&router)
        #expect(Set(router.routes.map { "\($0.method) \($0.template)" }) == Set(LeaderboardRoutes.templates.map { "\($0.method) \($0.template)" }))
        var matchRouter = Router()
        MatchRoutes(host: ModelHost(), configuration: InferenceConfiguration(), registry: ServerMetrics().registry).register(&matchRouter)
        #expect(Set(matchRouter.routes.map { "\($0.method) \($0.template)" }) == Set(MatchRoutes.templates.map { "\($0.method) \($0.template)" }))
    }
}
