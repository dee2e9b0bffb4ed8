// Body-idle and write deadlines (a client that stops sending, a client that stops reading),
// JSON request bodies, and the access log line with its fields.
import Foundation
import Logging
import Synchronization
import Testing
@testable import HTTP

@Suite struct DeadlineAndLogTests {
    @Test func stalledBodyGets408() throws {
        let server = try TestServer { $0.timeouts.bodyIdle = 0.4 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        let start = ContinuousClock.now
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(response.header("Connection") == "close")
        #expect((ContinuousClock.now - start).seconds < 2)
    }

    @Test func clientThatStopsReadingIsCutOff() throws {
        let server = try TestServer { $0.timeouts.write = 0.4 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        var small: Int32 = 4096
        setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        try client.send("GET /big/32 HTTP/1.1\r\nHost: t\r\n\r\n")
        // Never read: the server's writes block, and its write deadline closes the socket.
        var waited = 0.0
        while server.server.openConnections > 0 && waited < 3 {
            Thread.sleep(forTimeInterval: 0.1)
            waited += 0.1
        }
        #expect(server.server.openConnections == 0, "still open after \(waited) s")
        let healthy = try server.exchange("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(healthy.status == 200)
    }

    @Test func jsonBodiesDecodeOrExplain() throws {
        let server = try TestServer()
        defer { server.stop() }
        let ok = try server.exchange("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"name\":\"ada\"}\n")
        #expect(ok.status == 200)
        #expect(ok.bodyText == "{\"hello\":\"ada\"}")
        let wrongType = try server.exchange("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}")
        #expect(wrongType.status == 415)
        let missing = try server.exchange("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        #expect(missing.status == 400)
        #expect(missing.bodyText.contains("missing key name"))
    }

    @Test func accessLogLineCarriesTheRequest() throws {
        let records = LogRecords()
        let logger = Logger(label: "access") { _ in CapturingHandler(records: records) }
        let server = try TestServer(logger: logger) { $0.accessLog = true }
        defer { server.stop() }
        let response = try server.exchange("GET /sleep/1 HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc-123\r\n\r\n")
        #expect(response.status == 200)
        Thread.sleep(forTimeInterval: 0.05)
        let line = records.all.first { $0["request_id"] == "abc-123" }
        #expect(line?["method"] == "GET")
        #expect(line?["route"] == "/sleep/{ms}")
        #expect(line?["status"] == "200")
        #expect(line?["bytes"] == "7")
        #expect(line?["duration_ms"].flatMap(Double.init) != nil)
    }
}

final class LogRecords: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [[String: String]] = []
    func append(_ record: [String: String]) { lock.withLock { records.append(record) } }
    var all: [[String: String]] { lock.withLock { records } }
}

struct CapturingHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var record = ["message": event.message.description]
        for (key, value) in event.metadata ?? [:] { record[key] = value.description }
        records.append(record)
    }
}
