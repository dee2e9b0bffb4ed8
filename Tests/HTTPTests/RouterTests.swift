// Path templates, percent-decoded query parameters, 404/405 and traversal refusal.
import Testing
@testable import HTTP

@Suite struct RouterTests {
    func router() -> Router {
        var router = Router()
        router.get("/v1/submissions/{id}") { _ in Response.text("get") }
        router.post("/v1/submissions") { _ in Response.text("post") }
        return router
    }

    @Test func bindsParametersPercentDecoded() throws {
        guard case .found(let route, let parameters) = try router().match(method: "GET", path: "/v1/submissions/a%20b") else {
            Issue.record("no match")
            return
        }
        #expect(route.template == "/v1/submissions/{id}")
        #expect(parameters == ["id": "a b"])
    }

    @Test func aRestParameterTakesTheRemainingSegmentsButNoTraversal() throws {
        var router = Router()
        router.get("/v1/benchmarks/{name}/images/{file...}") { _ in Response.text("image") }
        guard case .found(_, let parameters) = try router.match(method: "GET", path: "/v1/benchmarks/b/images/images/a%20b.jpg") else {
            Issue.record("no match")
            return
        }
        #expect(parameters == ["name": "b", "file": "images/a b.jpg"])
        guard case .found(_, let one) = try router.match(method: "GET", path: "/v1/benchmarks/b/images/x.png") else {
            Issue.record("no match")
            return
        }
        #expect(one["file"] == "x.png")
        guard case .notFound = try router.match(method: "GET", path: "/v1/benchmarks/b/images") else {
            Issue.record("a rest parameter needs at least one segment")
            return
        }
        #expect(throws: HTTPError.self) { try router.match(method: "GET", path: "/v1/benchmarks/b/images/../../ground-truth/x.json") }
        #expect(throws: HTTPError.self) { try router.match(method: "GET", path: "/v1/benchmarks/b/images/a%2F..%2Fx") }
    }

    @Test func headUsesGetRoute() throws {
        guard case .found(let route, _) = try router().match(method: "HEAD", path: "/v1/submissions/1") else {
            Issue.record("no match")
            return
        }
        #expect(route.method == "GET")
    }

    @Test func methodNotAllowedListsAllowed() throws {
        guard case .methodNotAllowed(let allowed) = try router().match(method: "DELETE", path: "/v1/submissions/1") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "HEAD"])
        guard case .notFound = try router().match(method: "GET", path: "/v2") else {
            Issue.record("expected 404")
            return
        }
    }

    @Test(arguments: ["/v1/../etc/passwd", "/v1/submissions/%2e%2e", "/v1/submissions/a%2Fb", "/v1/%00", "/v1/submissions/a%5Cb"])
    func refusesTraversal(path: String) {
        #expect(throws: HTTPError.self) { try router().match(method: "GET", path: path) }
    }

    @Test func queryIsPercentDecoded() throws {
        let query = try QueryParameters(parsing: "a=1&b=x%20y+z&c=%E2%9C%93&a=2&flag")
        #expect(query["a"] == "1")
        #expect(query.values("a") == ["1", "2"])
        #expect(query["b"] == "x y z")
        #expect(query["c"] == "✓")
        #expect(query["flag"] == "")
        #expect(throws: HTTPError.self) { try QueryParameters(parsing: "a=%zz") }
    }
}
