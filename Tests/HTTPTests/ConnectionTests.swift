// Persistent connections over real sockets: keep-alive reuse, pipelining in order,
// HTTP/1.0 close, HEAD, streaming, the connection cap, deadlines and graceful shutdown.
import Foundation
import Testing
@testable import HTTP

@Suite struct ConnectionTests {
    @Test func keepAliveReusesTheConnection() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        for index in 0..<5 {
            try client.send("GET /k/\(index) HTTP/1.1\r\nHost: t\r\nX-Request-Id: req-\(index)\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("X-Request-Id") == "req-\(index)")
            #expect(response.header("Connection") == nil)
            #expect(response.header("Date")?.hasSuffix("GMT") == true)
            #expect(response.header("Server") == "dpcl")
        }
        #expect(server.server.openConnections == 1)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        // A slow request on the executor first: later, faster ones must still come after it.
        var batch = "GET /sleep/200 HTTP/1.1\r\nHost: t\r\n\r\n"
        for index in 0..<20 {
            batch += index % 2 == 0
                ? "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(index)\r\n\r\n" + String(repeating: "x", count: index)
                : "GET /p/\(index) HTTP/1.1\r\nHost: t\r\n\r\n"
        }
        try client.send(batch)
        let responses = try client.readResponses(21)
        #expect(responses[0].bodyText == "slept 200")
        for index in 0..<20 {
            let expected = index % 2 == 0 ? "received \(index) bytes" : "GET 0"
            #expect(responses[index + 1].bodyText == expected)
        }
    }

    @Test func http10WithoutKeepAliveCloses() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("GET /a HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(client.waitForClose())
        let alive = try RawClient(port: server.port)
        try alive.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try alive.readResponses(2).map(\.status) == [200, 200])
    }

    @Test func connectionCloseIsHonoured() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        let bytes = client.readAll()
        let responses = ResponseStream(parsing: bytes).responses
        #expect(responses.count == 1)
        #expect(responses.first?.header("Connection") == "close")
    }

    @Test func headHasNoBodyButItsLength() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\nGET /h HTTP/1.1\r\nHost: t\r\n\r\n")
        let raw = String(decoding: client.readUntil(count: 2, marker: "GET 0"), as: UTF8.self)
        #expect(raw.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(raw.hasSuffix("\r\n\r\nGET 0"))
        #expect(raw.contains("Content-Length: 5\r\n"))
    }

    @Test func streamedResponseIsChunked() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("GET /stream/3 HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.bodyText == "chunk 0\nchunk 1\nchunk 2\n")
        try client.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().bodyText == "GET 0")
    }

    @Test func connectionCapAnswers503AndCloses() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        defer { server.stop() }
        let first = try RawClient(port: server.port)
        let second = try RawClient(port: server.port)
        try first.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        try second.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try first.readResponse()
        _ = try second.readResponse()
        let third = try RawClient(port: server.port)
        try third.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        let refused = try third.readResponse()
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "1")
        #expect(refused.header("Connection") == "close")
        #expect(third.waitForClose())
    }

    @Test func idleConnectionsCloseAtTheirDeadline() throws {
        let server = try TestServer { $0.timeouts.keepAliveIdle = 0.5; $0.timeouts.head = 0.5 }
        defer { server.stop() }
        let silent = try RawClient(port: server.port)
        let used = try RawClient(port: server.port)
        try used.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try used.readResponse()
        let start = ContinuousClock.now
        #expect(silent.waitForClose())
        #expect(used.waitForClose())
        let waited = (ContinuousClock.now - start).seconds
        #expect(waited > 0.3 && waited < 2, "closed after \(waited) s")
    }

    @Test func partialHeadGets408AtTheHeadDeadline() throws {
        let server = try TestServer { $0.timeouts.head = 0.5 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: t\r\n")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(client.waitForClose())
    }

    @Test func gracefulShutdownFinishesInFlightRequests() throws {
        let server = try TestServer { $0.drainTimeout = 5; $0.timeouts.linger = 0.5 }
        let client = try RawClient(port: server.port)
        try client.send("GET /sleep/500 HTTP/1.1\r\nHost: t\r\n\r\n")
        let idle = try RawClient(port: server.port)
        Thread.sleep(forTimeInterval: 0.1)
        let start = ContinuousClock.now
        server.server.shutdown()
        #expect(server.server.isDraining)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "slept 500")
        #expect(response.header("Connection") == "close")
        #expect(idle.waitForClose())
        server.server.waitUntilStopped()
        #expect((ContinuousClock.now - start).seconds < 3)
        #expect(throws: ClientError.self) { _ = try RawClient(port: server.port) }
    }
}

extension RawClient {
    /// Reads until the text ends with `marker` (for responses the stream parser cannot frame).
    func readUntil(count: Int, marker: String) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: result, as: UTF8.self).hasSuffix(marker) {
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got <= 0 { break }
            result.append(contentsOf: buffer[0..<got])
        }
        return result
    }
}
