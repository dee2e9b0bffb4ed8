// Serialises response heads and chunk framing into bytes for the connection's output buffer.
import Foundation
import Synchronization

enum ResponseWriter {
    /// Ends the Date line and names the server: the same bytes in every response.
    static let serverLine = Array("\r\nServer: dpcl\r\n".utf8)

    /// Appends the status line and header section. Without a length the body is chunked,
    /// or (HTTP/1.0 peers, `chunked` false) delimited by closing the connection.
    static func appendHead(
        to out: inout [UInt8], status: Status, headers: Headers, contentLength: Int?,
        chunked: Bool = false, keepAlive: Bool, requestId: String?
    ) {
        append(&out, "HTTP/1.1 \(status.code) \(status.reason)\r\n")
        append(&out, "Date: ")
        HTTPDate.append(to: &out)
        out.append(contentsOf: serverLine)
        if let contentLength {
            if !status.forbidsBody { append(&out, "Content-Length: \(contentLength)\r\n") }
        } else if chunked {
            append(&out, "Transfer-Encoding: chunked\r\n")
        }
        if !keepAlive { append(&out, "Connection: close\r\n") }
        if let requestId { append(&out, "X-Request-Id: \(requestId)\r\n") }
        for field in headers {
            append(&out, field.name)
            append(&out, ": ")
            append(&out, field.value)
            append(&out, "\r\n")
        }
        append(&out, "\r\n")
    }

    static func appendChunk(to out: inout [UInt8], _ bytes: [UInt8]) {
        append(&out, String(bytes.count, radix: 16))
        append(&out, "\r\n")
        out.append(contentsOf: bytes)
        append(&out, "\r\n")
    }

    static func appendLastChunk(to out: inout [UInt8]) { append(&out, "0\r\n\r\n") }

    static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    @inline(__always) static func append(_ out: inout [UInt8], _ text: String) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }
}

/// The IMF-fixdate of the current second, formatted once per second (RFC 9110 §5.6.7).
enum HTTPDate {
    private static let cache = Locked<(second: Int, bytes: [UInt8])>((-1, []))

    static func append(to out: inout [UInt8]) {
        let now = time(nil)
        let bytes = cache.withLock { cached -> [UInt8] in
            if cached.second != now {
                cached = (now, Array(format(now).utf8))
            }
            return cached.bytes
        }
        out.append(contentsOf: bytes)
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ seconds: time_t) -> String {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ value: Int32) -> String { String(value).leftPadded(to: 2) }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
