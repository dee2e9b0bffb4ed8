// The service's endpoints over a live server and real curl: health, readiness (and its
// failure reasons), metrics, the embedded OpenAPI document, version, JSON errors.
import Foundation
import Leaderboard
import HTTP
import TestSupport
import Testing
import Yams
@testable import Service

@Suite struct EndpointTests {
    @Test func healthAndVersion() throws {
        let service = try LiveService()
        defer { service.stop() }
        let health = try service.get("/healthz")
        #expect(health.status == 200)
        #expect(health.text == "{\"status\":\"ok\"}")
        #expect(health.headers["x-request-id"]?.isEmpty == false)
        let version = try service.get("/v1/version")
        #expect(version.status == 200)
        let decoded = try JSONDecoder().decode(ServiceVersion.self, from: version.body)
        #expect(decoded == ServiceVersion.current.serving(.all))
    }

    @Test func servedOpenAPIEqualsTheRepositoryFile() throws {
        let service = try LiveService()
        defer { service.stop() }
        let served = try service.get("/openapi.yaml")
        #expect(served.status == 200)
        #expect(served.headers["content-type"] == "application/yaml")
        let file = try Data(contentsOf: Repository.root.appending(path: "openapi.yaml"))
        #expect(served.body == file)
    }

    /// The document parses as YAML, and every route the service serves is documented under
    /// its path with its method; every documented operation is served.
    @Test func openAPIParsesAndDocumentsEveryServedRoute() throws {
        let document = try #require(try Yams.load(yaml: String(decoding: OpenAPIDocument.bytes, as: UTF8.self)) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let folder = FileManager.default.temporaryDirectory.appending(path: "openapi-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let leaderboard = LeaderboardRoutes(store: try Store(directory: folder), configuration: LeaderboardConfiguration())
        let match = MatchRoutes(host: ModelHost(), configuration: InferenceConfiguration(), registry: ServerMetrics().registry)
        let propose = ProposeRoutes(match: match, dataDirectory: folder)
        let router = Routes.make(readiness: Readiness(dataDirectory: "/"), isDraining: { false }, metrics: ServerMetrics(),
                                 match: match, propose: propose, labelStudio: LabelStudioRoutes(propose: propose, hosts: []),
                                 leaderboard: leaderboard)
        // A rest parameter (`{file...}`) is a plain path parameter to OpenAPI.
        let served = Set(router.routes.map { "\($0.method.lowercased()) \($0.template.replacingOccurrences(of: "...}", with: "}"))" })
        let documented = Set(paths.flatMap { path, operations in
            operations.keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }.map { "\($0) \(path)" }
        })
        #expect(served.contains("post /v1/match") && served.contains("get /v1/models") && served.contains("post /v1/benchmarks/{name}/submissions"))
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        // Every operation names its responses.
        for (path, operations) in paths {
            for (method, operation) in operations where method != "parameters" {
                #expect((operation as? [String: Any])?["responses"] != nil, "\(method) \(path) has no responses")
            }
        }
    }

    /// The OpenAPI 3.1 validator of the tooling venv accepts the document.
    @Test func openAPIIsAValidSpecification() throws {
        let script = "import sys, yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open(sys.argv[1]))); print('valid')"
        let result = try Venv.runPython(["-c", script, Repository.root.appending(path: "openapi.yaml").path])
        #expect(result.stdoutText.contains("valid"))
    }

    @Test func readinessNamesItsReason() throws {
        let missing = FileManager.default.temporaryDirectory.appending(path: "dpcl-missing-\(UUID().uuidString)")
        let service = try LiveService(dataDirectory: missing)
        defer { service.stop() }
        let response = try service.get("/readyz")
        #expect(response.status == 503)
        #expect(response.text.contains("\"code\":\"not-ready\""))
        #expect(response.text.contains("does not exist"))
        #expect(response.headers["retry-after"] == "1")
        #expect(try service.get("/healthz").status == 200)
    }

    @Test func readinessTurns503WhenShutdownBegins() throws {
        let service = try LiveService { $0.server.shutdownDelay = 1 }
        #expect(try service.get("/readyz").status == 200)
        service.server.shutdown()
        let draining = try service.get("/readyz")
        #expect(draining.status == 503)
        #expect(draining.text.contains("shutting down"))
        service.server.waitUntilStopped()
        try? FileManager.default.removeItem(at: service.dataDirectory)
    }

    @Test func metricsByRouteTemplate() throws {
        let service = try LiveService()
        defer { service.stop() }
        _ = try service.get("/healthz")
        _ = try service.get("/healthz")
        _ = try service.get("/no/such/thing")
        let metrics = try service.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.text.contains("http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"))
        #expect(metrics.text.contains("route=\"(unmatched)\""))
        #expect(!metrics.text.contains("/no/such/thing"))
        for name in ["http_request_duration_seconds_bucket", "http_requests_in_flight", "http_executor_queue_depth", "http_open_connections"] {
            #expect(metrics.text.contains(name), "\(name) exposed")
        }
    }

    @Test func errorsAreJSONWithAllow() throws {
        let service = try LiveService()
        defer { service.stop() }
        let response = try service.get("/healthz", method: "DELETE")
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "GET, HEAD")
        let body = try JSONSerialization.jsonObject(with: response.body) as? [String: [String: String]]
        #expect(body?["error"]?["code"] == "method-not-allowed")
        #expect(body?["error"]?["message"]?.isEmpty == false)
    }
}
