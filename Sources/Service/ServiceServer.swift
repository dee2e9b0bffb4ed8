// Builds the HTTP server of the service from its configuration: metrics, routes, readiness,
// the model host behind the match routes, and the leaderboard's store and evaluation worker.
import HTTP
import Leaderboard
import Logging

public enum ServiceServer {
    /// The server and its parts; the configured model starts loading in the background.
    public static func make(configuration: ServiceConfiguration, logger: Logger) -> Parts {
        let model = ModelHost()
        if configuration.role.servesInference {
            model.startLoading(configuration.inference) { message in logger.info("\(message)") }
        }
        return make(configuration: configuration, logger: logger, model: model)
    }

    /// The server and the routes a test reaches into: the match routes (whose inference
    /// queue a test can hold) and the leaderboard's (whose worker a test stops).
    public struct Parts: Sendable {
        public let server: Server
        let match: MatchRoutes
        let leaderboard: LeaderboardRoutes?

        /// Once the server has drained: the evaluation workers stop taking jobs and the
        /// database's write-ahead log is folded into its file, so a stopped service leaves one
        /// self-contained SQLite file behind.
        public func finish() {
            leaderboard?.jobs.stop()
            try? leaderboard?.store.checkpoint()
        }
    }

    /// The server with a given model host.
    static func make(configuration: ServiceConfiguration, logger: Logger, model: ModelHost) -> Parts {
        let metrics = ServerMetrics()
        let box = ServerBox()
        let match = MatchRoutes(host: model, configuration: configuration.inference, registry: metrics.registry)
        // The leaderboard needs its database; without it the rest of the service still runs
        // and readiness says why.
        var leaderboard: LeaderboardRoutes?
        var leaderboardProblem: String?
        if configuration.role.servesLeaderboard {
            do {
                let routes = LeaderboardRoutes(store: try Store(directory: configuration.dataDirectory, create: false),
                                               configuration: configuration.leaderboard)
                try routes.jobs.start()
                leaderboard = routes
            } catch {
                let problem = "the leaderboard database in \(configuration.dataDirectory) cannot be opened: \(error)"
                logger.error("\(problem)")
                leaderboardProblem = problem
            }
        }
        let propose = ProposeRoutes(match: match, dataDirectory: configuration.dataDirectory)
        let router = Routes.make(
            readiness: Readiness(dataDirectory: configuration.role.servesLeaderboard ? configuration.dataDirectory : nil, model: model,
                                 leaderboardProblem: leaderboardProblem),
            isDraining: { box.server?.isDraining ?? false },
            metrics: metrics, match: configuration.role.servesInference ? match : nil,
            propose: configuration.role.servesInference ? propose : nil,
            labelStudio: configuration.role.servesInference ? LabelStudioRoutes(propose: propose, hosts: configuration.labelStudioHosts) : nil,
            leaderboard: leaderboard, role: configuration.role,
            web: WebRoutes(examples: configuration.examplesDirectory.map(Examples.init(folder:))))
        let server = Server(configuration: configuration.server, router: router, logger: logger, metrics: metrics)
        box.server = server
        return Parts(server: server, match: match, leaderboard: leaderboard)
    }
}

/// Lets the routes reach the server they are served by (set once, before start).
final class ServerBox: @unchecked Sendable {
    var server: Server?
}
