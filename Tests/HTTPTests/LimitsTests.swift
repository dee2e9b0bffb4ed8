// Limits over a real socket: 414, 431 (bytes and count), 413 with and without Expect, each
// answered with Connection: close and the JSON error shape.
import Foundation
import Testing
@testable import HTTP

@Suite struct LimitsTests {
    static func server() throws -> TestServer {
        try TestServer {
            $0.limits.maxRequestLineBytes = 1024
            $0.limits.maxHeaderBytes = 2048
            $0.limits.maxHeaderCount = 20
            $0.limits.maxBodyBytes = 100_000
        }
    }

    func expectClosingError(_ response: RawResponse, _ status: Int, _ code: String) {
        #expect(response.status == status)
        #expect(response.header("Connection") == "close")
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText.hasPrefix("{\"error\":{\"code\":\"\(code)\",\"message\":"), "\(response.bodyText)")
    }

    @Test func uriTooLong() throws {
        let server = try Self.server()
        defer { server.stop() }
        let response = try server.exchange("GET /" + String(repeating: "a", count: 2000) + " HTTP/1.1\r\nHost: t\r\n\r\n")
        expectClosingError(response, 414, "request-line-too-long")
    }

    @Test func headerBytesAndCount() throws {
        let server = try Self.server()
        defer { server.stop() }
        let big = try server.exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "b", count: 3000) + "\r\n\r\n")
        expectClosingError(big, 431, "header-too-large")
        let fields = (0..<25).map { "X-\($0): v\r\n" }.joined()
        let many = try server.exchange("GET / HTTP/1.1\r\nHost: t\r\n" + fields + "\r\n")
        expectClosingError(many, 431, "too-many-headers")
    }

    @Test func bodyTooLargeWithoutExpect() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        // The client sends the whole body; the answer must still arrive, not a reset.
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n")
        try client.send([UInt8](repeating: 65, count: 200_000))
        let response = try client.readResponse()
        expectClosingError(response, 413, "body-too-large")
        #expect(response.bodyText.contains("100000"), "the limit is stated: \(response.bodyText)")
        #expect(client.waitForClose())
    }

    @Test func bodyTooLargeWithExpectIsRefusedBeforeTheBody() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        expectClosingError(response, 413, "body-too-large")
        #expect(client.waitForClose())
    }

    @Test func chunkedBodyOverTheLimit() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = "10000\r\n" + String(repeating: "c", count: 0x10000) + "\r\n"
        try client.send(chunk + chunk)
        expectClosingError(try client.readResponse(), 413, "body-too-large")
    }

    @Test func expectContinueAcceptedThenBody() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("hello")
        let final = try client.readResponse()
        #expect(final.status == 200)
        #expect(final.bodyText == "received 5 bytes")
    }

    @Test func otherExpectationsGet417() throws {
        let server = try Self.server()
        defer { server.stop() }
        let response = try server.exchange("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nExpect: something\r\n\r\nx")
        expectClosingError(response, 417, "expectation-failed")
    }

    @Test func uploadWithoutLengthGets411() throws {
        let server = try Self.server()
        defer { server.stop() }
        let response = try server.exchange("POST /upload HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(response.status == 411)
        #expect(response.bodyText.contains("length-required"))
    }
}
