// Builds the HTTP server of the service from its configuration: metrics, routes, readiness,
// and the model host behind the match routes.
import HTTP
import Logging

public enum ServiceServer {
    /// The server; the configured model starts loading in the background.
    public static func make(configuration: ServiceConfiguration, logger: Logger) -> Server {
        let model = ModelHost()
        model.startLoading(configuration.inference) { message in logger.info("\(message)") }
        return make(configuration: configuration, logger: logger, model: model).server
    }

    /// The server with a given model host, and its match routes (whose inference queue a
    /// test can hold).
    static func make(configuration: ServiceConfiguration, logger: Logger, model: ModelHost) -> (server: Server, match: MatchRoutes) {
        let metrics = ServerMetrics()
        let box = ServerBox()
        let match = MatchRoutes(host: model, configuration: configuration.inference, registry: metrics.registry)
        let router = Routes.make(
            readiness: Readiness(dataDirectory: configuration.dataDirectory, model: model),
            isDraining: { box.server?.isDraining ?? false },
            metrics: metrics, match: match)
        let server = Server(configuration: configuration.server, router: router, logger: logger, metrics: metrics)
        box.server = server
        return (server, match)
    }
}

/// Lets the routes reach the server they are served by (set once, before start).
final class ServerBox: @unchecked Sendable {
    var server: Server?
}
