// Builds the HTTP server of the service from its configuration: metrics, routes, readiness.
import HTTP
import Logging

public enum ServiceServer {
    public static func make(configuration: ServiceConfiguration, logger: Logger) -> Server {
        let metrics = ServerMetrics()
        let box = ServerBox()
        let model = ModelHost()
        model.startLoading(configuration.inference) { message in logger.info("\(message)") }
        let router = Routes.make(
            readiness: Readiness(dataDirectory: configuration.dataDirectory, model: model),
            isDraining: { box.server?.isDraining ?? false },
            metrics: metrics, model: model, inference: configuration.inference)
        let server = Server(configuration: configuration.server, router: router, logger: logger, metrics: metrics)
        box.server = server
        return server
    }
}

/// Lets the routes reach the server they are served by (set once, before start).
final class ServerBox: @unchecked Sendable {
    var server: Server?
}
