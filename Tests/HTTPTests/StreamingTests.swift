// Streamed (chunked) responses: a producer facing a client that does not read is held back
// once about 1 MiB is queued, and the whole body still arrives intact once the client reads.
import Foundation
import Synchronization
import Testing
@testable import HTTP

final class Progress: Sendable {
    private let value = Atomic<Int>(0)
    func step() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

@Suite struct StreamingTests {
    @Test func producerWaitsForASlowReader() throws {
        let progress = Progress()
        let chunk = [UInt8](repeating: 66, count: 256 * 1024)
        var router = Router()
        router.get("/stream") { _ in
            Response(body: .stream { writer in
                for _ in 0..<64 {
                    writer.write(chunk)
                    progress.step()
                }
            })
        }
        let server = try TestServer(router: router)
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        var small: Int32 = 16384
        setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.5)
        // 16 MiB would be produced at once without back-pressure; the gate holds it to about
        // 1 MiB queued plus what the socket buffers take.
        #expect(progress.count < 40, "producer ran ahead: \(progress.count) of 64 chunks")
        let response = try client.readResponse()
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.body.count == 64 * chunk.count)
        #expect(progress.count == 64)
    }

    @Test func http10StreamIsDelimitedByClose() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("GET /stream/2 HTTP/1.0\r\n\r\n")
        let text = String(decoding: client.readAll(), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(!text.contains("Transfer-Encoding"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(text.hasSuffix("\r\n\r\nchunk 0\nchunk 1\n"))
    }

    @Test func streamWithNoFreeWorkerIs503NotATruncatedBody() throws {
        let hold = Hold()
        let server = try TestServer(router: hold.router()) { $0.workers = 1; $0.queueCapacity = 1 }
        defer { server.stop() }
        let held = try hold.fill(server)
        let refused = try server.exchange("GET /stream/3 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "1")
        #expect(refused.bodyText.contains("\"code\":\"overloaded\""))
        hold.release(2)
        for client in held { #expect(try client.readResponse().bodyText == "held") }
    }

    @Test func continueForAPipelinedRequestWaitsForTheStreamToEnd() throws {
        let hold = Hold()
        var router = acceptEverythingRouter()
        router.get("/paused", execution: .inline) { _ in
            Response(body: .stream { writer in
                writer.write(Array("first\n".utf8))
                hold.wait()
                writer.write(Array("second\n".utf8))
            })
        }
        let server = try TestServer(router: router)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("GET /paused HTTP/1.1\r\nHost: t\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.3)
        // The next request arrives while the stream is paused with nothing left to write: its
        // 100 Continue must not land inside the chunked body.
        try client.send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.3)
        hold.release(1)
        let responses = try client.readResponses(2)
        #expect(responses.map(\.status) == [200, 100])
        #expect(responses[0].bodyText == "first\nsecond\n")
        try client.send("hello")
        #expect(try client.readResponse().bodyText == "received 5 bytes")
    }
}
