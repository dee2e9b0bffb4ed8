// A blocking loopback TCP client for tests: sends exact bytes, reads exact bytes, and splits
// what comes back into HTTP responses.
import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

struct ClientError: Error, CustomStringConvertible {
    let description: String
}

final class RawClient {
    let fd: Int32

    /// Connects to 127.0.0.1 (or ::1) with a receive timeout so no test can hang.
    init(port: Int, ipv6: Bool = false, timeout: Double = 5) throws {
        // The socket is this object's only once connected: an init that throws after `fd` is
        // set still runs deinit, whose close would then be a second one, of a descriptor
        // number another thread may already have been given.
        let socket = Glibc.socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ClientError(description: "socket failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = Loopback.connect(socket, port: port, ipv6: ipv6)
        guard result == 0 else {
            let reason = errno
            Glibc.close(socket)
            throw ClientError(description: "connect to port \(port) failed: errno \(reason)")
        }
        fd = socket
    }

    deinit { Glibc.close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ClientError(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until EOF, the timeout, or an error; returns what arrived.
    func readAll() -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    /// True when the server closed the connection (EOF or reset) within the timeout.
    func waitForClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// Reads exactly `count` responses (following Content-Length or chunked framing).
    func readResponses(_ count: Int) throws -> [RawResponse] {
        var parser = ResponseStream()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while parser.responses.count < count {
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard got > 0 else {
                throw ClientError(description: "connection ended after \(parser.responses.count) of \(count) responses")
            }
            parser.append(buffer[0..<got])
        }
        return parser.responses
    }

    func readResponse() throws -> RawResponse { try readResponses(1)[0] }
}

struct RawResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Splits a byte stream into responses; interim 1xx responses are kept as their own entries.
struct ResponseStream {
    var buffer: [UInt8] = []
    var responses: [RawResponse] = []

    init() {}

    init(parsing bytes: [UInt8]) {
        append(bytes[...])
    }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        buffer.append(contentsOf: bytes)
        while let response = next() { responses.append(response) }
    }

    private mutating func next() -> RawResponse? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = buffer.firstRange(of: separator) else { return nil }
        let headText = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = RawResponse(status: status, headers: headers, body: [])
        let bodyStart = end.upperBound
        if status < 200 {
            buffer.removeSubrange(..<bodyStart)
            return response
        }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            guard buffer.count - bodyStart >= length else { return nil }
            response.body = Array(buffer[bodyStart..<(bodyStart + length)])
            buffer.removeSubrange(..<(bodyStart + length))
            return response
        }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            var index = bodyStart
            var body: [UInt8] = []
            while true {
                guard let lineEnd = buffer[index...].firstRange(of: [13, 10]) else { return nil }
                let sizeText = String(decoding: buffer[index..<lineEnd.lowerBound], as: UTF8.self)
                guard let size = Int(sizeText, radix: 16) else { return nil }
                let dataStart = lineEnd.upperBound
                guard buffer.count >= dataStart + size + 2 else { return nil }
                if size == 0 {
                    body.append(contentsOf: [])
                    buffer.removeSubrange(..<(dataStart + 2))
                    response.body = body
                    return response
                }
                body.append(contentsOf: buffer[dataStart..<(dataStart + size)])
                index = dataStart + size + 2
            }
        }
        // No framing: body runs to the end of what was read (HTTP/1.0 style close).
        response.body = Array(buffer[bodyStart...])
        buffer.removeAll()
        return response
    }
}
