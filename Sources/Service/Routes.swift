// Maps the service's routes to handlers. Health, metrics and documents run inline (they
// never wait on work or storage); domain endpoints run on the CPU executor.
import Foundation
import HTTP

enum Routes {
    /// `isDraining` and `metrics` come from the running server, so readiness and /metrics
    /// see its state.
    static func make(
        readiness: Readiness, isDraining: @escaping @Sendable () -> Bool, metrics: ServerMetrics, match: MatchRoutes?,
        propose: ProposeRoutes? = nil, labelStudio: LabelStudioRoutes? = nil, leaderboard: LeaderboardRoutes?, role: ServiceRole = .all, web: WebRoutes = WebRoutes(examples: nil)
    ) -> Router {
        var router = Router()
        match?.register(&router)
        propose?.register(&router)
        labelStudio?.register(&router)
        leaderboard?.register(&router)
        role.registerHints(&router)
        web.register(&router)
        // Constant answers are prepared once: nothing to compute, nothing to wait on.
        let alive = Response.bytes(Array("{\"status\":\"ok\"}".utf8), contentType: "application/json")
        let ready = Response.bytes(Array("{\"role\":\"\(role.rawValue)\",\"status\":\"ready\"}".utf8), contentType: "application/json")
        let version = Result { try Response.json(ServiceVersion.current.serving(role)) }
        router.get("/healthz", execution: .inline) { _ in alive }
        router.get("/readyz", execution: .inline) { _ in
            if let problem = readiness.problem(draining: isDraining()) {
                throw ServiceError.notReady(reason: problem).httpError
            }
            return ready
        }
        router.get("/metrics", execution: .inline) { _ in
            if let match { match.metrics.observe(match.host) }
            return Response.bytes(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/openapi.yaml", execution: .inline) { _ in
            Response.bytes(OpenAPIDocument.bytes, contentType: "application/yaml")
        }
        router.get("/v1/version", execution: .inline) { _ in try version.get() }
        return router
    }
}
