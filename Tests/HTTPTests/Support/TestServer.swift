// Starts a real HTTP server on an ephemeral loopback port for a test and stops it after.
import Foundation
@testable import HTTP
import Logging
import Synchronization

/// A router that answers 200 to any recognised method on any path, echoing what it got,
/// plus a few routes the connection tests need.
func acceptEverythingRouter() -> Router {
    var router = Router()
    router.add("GET", "/sleep/{ms}", execution: .executor) { request in
        let ms = Int(request.pathParameters["ms"] ?? "0") ?? 0
        Thread.sleep(forTimeInterval: Double(ms) / 1000)
        return Response.text("slept \(ms)")
    }
    router.add("POST", "/upload", execution: .executor, requiresBody: true) { request in
        if request.mediaType == "multipart/form-data" {
            let parts = try request.multipart()
            return Response.text(parts.map { "\($0.name):\($0.filename ?? "-"):\($0.contentType):\($0.body.count)" }.joined(separator: ","))
        }
        return Response.text("received \(request.body.count) bytes")
    }
    router.add("PUT", "/upload", execution: .executor, requiresBody: true) { request in
        Response.text("received \(request.body.count) bytes")
    }
    router.add("GET", "/big/{megabytes}", execution: .inline) { request in
        let megabytes = Int(request.pathParameters["megabytes"] ?? "1") ?? 1
        return Response.bytes([UInt8](repeating: 120, count: megabytes << 20), contentType: "application/octet-stream")
    }
    router.add("POST", "/json", execution: .inline, requiresBody: true) { request in
        struct Greeting: Codable { let name: String }
        let greeting = try request.decodeJSON(Greeting.self)
        return try Response.json(["hello": greeting.name])
    }
    router.add("GET", "/stream/{count}", execution: .inline) { request in
        let count = Int(request.pathParameters["count"] ?? "0") ?? 0
        return Response(body: .stream { writer in
            for index in 0..<count { writer.write(Array("chunk \(index)\n".utf8)) }
        })
    }
    return router
}

/// Any method, any path: 200 with the method and body size (the corpus needs this).
struct CatchAll {
    static func wrap(_ router: Router) -> Router {
        var router = router
        let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE", "SEARCH", "LINK", "UNLINK",
                       "SOURCE", "QUERY", "REPORT", "M-SEARCH", "MKCOL", "PROPFIND", "COPY", "MOVE", "LOCK", "UNLOCK", "TRACE"]
        for method in methods {
            for depth in 0...6 {
                let template = depth == 0 ? "/" : "/" + (0..<depth).map { "{p\($0)}" }.joined(separator: "/")
                router.add(method, template, execution: .inline) { request in
                    Response.text("\(request.method) \(request.body.count)")
                }
            }
        }
        return router
    }
}

final class TestServer {
    let server: Server
    var port: Int { server.port }

    init(
        router: Router = CatchAll.wrap(acceptEverythingRouter()),
        logger: Logger? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.accessLog = false
        configure(&configuration)
        var quiet = Logger(label: "test.http")
        quiet.logLevel = .critical
        server = Server(configuration: configuration, router: router, logger: logger ?? quiet)
        try server.start()
    }

    func stop() {
        server.shutdown()
        server.waitUntilStopped()
    }

    /// One request on a fresh connection, whole response back.
    func exchange(_ raw: String) throws -> RawResponse {
        let client = try RawClient(port: port)
        try client.send(raw)
        return try client.readResponse()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Holds executor jobs until the test lets them go, so "the executor is full" is a state the
/// test sets up, not a race against a sleep.
final class Hold: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func wait() { semaphore.wait() }

    func release(_ count: Int) { for _ in 0..<count { semaphore.signal() } }

    /// The catch-all router plus `GET /hold`, whose handler waits for `release`.
    func router() -> Router {
        var router = acceptEverythingRouter()
        router.add("GET", "/hold", execution: .executor) { [self] _ in
            wait()
            return Response.text("held")
        }
        return CatchAll.wrap(router)
    }

    /// One worker, one queue slot, both taken by held requests; returns their clients.
    func fill(_ server: TestServer) throws -> [RawClient] {
        let executor = server.server.context.executor
        var clients: [RawClient] = []
        for queued in 0..<2 {
            let client = try RawClient(port: server.port, timeout: 20)
            try client.send("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n")
            clients.append(client)
            try waitUntil { executor.depth == queued && server.server.metrics.inFlightCount == queued + 1 }
        }
        return clients
    }
}
