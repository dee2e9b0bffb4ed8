// The real curl against the live server: multipart uploads small and large (no Expect
// stall), binary bodies from a file and from stdin, chunked uploads, HTTP/1.0, and --retry
// honouring a 503's Retry-After.
import Foundation
import Testing
@testable import HTTP

@Suite struct CurlMatrixTests {
    @Test func multipartSmallAndLargeWithoutExpectStall() throws {
        let server = try TestServer()
        defer { server.stop() }
        let small = try Curl.temporaryFile(size: 1000)
        let large = try Curl.temporaryFile(size: 3 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(at: small); try? FileManager.default.removeItem(at: large) }
        let url = "http://127.0.0.1:\(server.port)/upload"
        let smallResult = try Curl.run(["-F", "file=@\(small.path);type=image/png", "-F", "note=hi", "-w", " %{http_code}", url])
        #expect(smallResult.stdout == "file:\(small.lastPathComponent):image/png:1000,note:-:text/plain:2 200",
                "\(smallResult.stdout) \(smallResult.stderr)")
        // curl sends Expect: 100-continue above 1 MiB and waits 1 s unless answered at once.
        let largeResult = try Curl.run(["-v", "-F", "file=@\(large.path)", "-w", " %{http_code}", url])
        #expect(largeResult.stdout.hasSuffix(" 200"), "\(largeResult.stdout)")
        #expect(largeResult.stderr.contains("Expect: 100-continue"))
        #expect(largeResult.stderr.contains("HTTP/1.1 100 Continue"))
        #expect(largeResult.seconds < 0.9, "large upload took \(largeResult.seconds) s: Expect stall?")
        print("curl -F of 3 MiB with Expect: 100-continue took \(largeResult.seconds) s")
        #expect(largeResult.stdout == "file:\(large.lastPathComponent):application/octet-stream:\(3 * 1024 * 1024) 200")
    }

    @Test func binaryBodyFromFileStdinAndChunked() throws {
        let server = try TestServer()
        defer { server.stop() }
        let file = try Curl.temporaryFile(size: 200_000)
        defer { try? FileManager.default.removeItem(at: file) }
        let url = "http://127.0.0.1:\(server.port)/upload"
        let fromFile = try Curl.run(["--data-binary", "@\(file.path)", url])
        #expect(fromFile.stdout == "received 200000 bytes")
        let data = try Data(contentsOf: file)
        let fromStdin = try Curl.run(["--data-binary", "@-", url], stdin: data)
        #expect(fromStdin.stdout == "received 200000 bytes")
        let chunked = try Curl.run(["-v", "-T", "-", url], stdin: data)
        #expect(chunked.stdout == "received 200000 bytes", "\(chunked.stderr)")
        #expect(chunked.stderr.contains("Transfer-Encoding: chunked"))
    }

    @Test func http10GetsAnAnswerAndAClose() throws {
        let server = try TestServer()
        defer { server.stop() }
        let result = try Curl.run(["--http1.0", "-i", "http://127.0.0.1:\(server.port)/x"])
        #expect(result.stdout.hasPrefix("HTTP/1.1 200 OK"))
        #expect(result.stdout.contains("Connection: close"))
        #expect(result.stdout.hasSuffix("GET 0"))
    }

    @Test func retryAfterA503HonoursRetryAfter() throws {
        // One worker, one queue slot, both held: the next request is refused with 503.
        let hold = Hold()
        let server = try TestServer(router: hold.router()) { $0.workers = 1; $0.queueCapacity = 1 }
        defer { server.stop() }
        let held = try hold.fill(server)
        let refused = try server.exchange("GET /sleep/0 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "1")
        // Let the held jobs go only once curl has been refused too; it retries after 1 s.
        let metrics = server.server.metrics
        DispatchQueue.global().async {
            try? waitUntil(seconds: 15) {
                String(decoding: metrics.exposition(), as: UTF8.self).contains("status=\"503\"} 2")
            }
            hold.release(2)
        }
        let result = try Curl.run(["--retry", "5", "-w", " %{http_code}", "http://127.0.0.1:\(server.port)/sleep/0"], quiet: false)
        #expect(result.stdout.hasSuffix(" 200"), "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("Will retry in 1 second"), "\(result.stderr)")
        for client in held { #expect(try client.readResponse().bodyText == "held") }
    }

    @Test func ipv6Loopback() throws {
        let server = try TestServer { $0.host = "::1" }
        defer { server.stop() }
        let result = try Curl.run(["-g", "http://[::1]:\(server.port)/v6"])
        #expect(result.stdout == "GET 0")
        let client = try RawClient(port: server.port, ipv6: true)
        try client.send("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }
}

/// Polls a condition for up to `seconds`.
func waitUntil(seconds: Double = 5, _ condition: () -> Bool) throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return }
        Thread.sleep(forTimeInterval: 0.01)
    }
    throw ClientError(description: "condition not reached in \(seconds) s")
}
