// What a handler returns: status, header fields and a body sent with Content-Length or,
// for a producer that writes as it goes, with the chunked coding.
import Foundation

public struct Response: Sendable {
    public var status: Status
    public var headers: Headers
    public var body: ResponseBody

    public init(status: Status = .ok, headers: Headers = Headers(), body: ResponseBody = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func bytes(_ bytes: [UInt8], contentType: String, status: Status = .ok) -> Response {
        Response(status: status, headers: Headers([("Content-Type", contentType)]), body: .bytes(bytes))
    }

    public static func text(_ text: String, contentType: String = "text/plain; charset=utf-8", status: Status = .ok) -> Response {
        bytes(Array(text.utf8), contentType: contentType, status: status)
    }

    /// Encodes a value as JSON (sorted keys, so answers are stable byte for byte).
    public static func json<T: Encodable>(_ value: T, status: Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return bytes(Array(try encoder.encode(value)), contentType: "application/json", status: status)
    }

    /// The one error shape of the API: `{"error": {"code": "...", "message": "..."}}`.
    public static func error(_ status: Status, code: String, message: String, headers: Headers = Headers()) -> Response {
        var response = bytes(Array(JSONErrorBody.render(code: code, message: message).utf8),
                             contentType: "application/json", status: status)
        for field in headers { response.headers.add(field.name, field.value) }
        return response
    }
}

/// A response body: all bytes at once, or a producer that writes chunks while it runs.
public enum ResponseBody: Sendable {
    case bytes([UInt8])
    /// Sent with `Transfer-Encoding: chunked`; the producer runs where the handler ran.
    case stream(@Sendable (ChunkWriter) throws -> Void)
}

/// Hands chunks of a streamed body to the connection, in order.
public struct ChunkWriter: Sendable {
    let sink: @Sendable ([UInt8]) -> Void

    public func write(_ bytes: [UInt8]) {
        if !bytes.isEmpty { sink(bytes) }
    }
}

/// An error a handler throws to answer with a status and the JSON error shape.
public struct HTTPError: Error, Sendable, Equatable {
    public let status: Status
    public let code: String
    public let message: String
    public var headers: [String: String]

    public init(_ status: Status, code: String, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var response: Response {
        Response.error(status, code: code, message: message,
                       headers: Headers(headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }
}

enum JSONErrorBody {
    static func render(code: String, message: String) -> String {
        "{\"error\":{\"code\":\(quote(code)),\"message\":\(quote(message))}}"
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
