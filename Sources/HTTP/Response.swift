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
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return bytes(Array(try encoder.encode(value)), contentType: "application/json", status: status)
    }

    /// A file's bytes: small ones at once, larger ones streamed in blocks (chunked), so that a
    /// large file is never all in memory. 404 when it cannot be opened.
    public static func file(_ path: String, contentType: String) throws(HTTPError) -> Response {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HTTPError(.notFound, code: "not-found", message: "the file is not there")
        }
        let block = 1 << 20
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if let size, size <= block {
            defer { try? handle.close() }
            return bytes(Array((try? handle.readToEnd()) ?? Data()), contentType: contentType)
        }
        let reader = FileBlocks(handle: handle, block: block)
        return Response(status: .ok, headers: Headers([("Content-Type", contentType)]), body: .stream { writer in
            while let data = try reader.next() { writer.write(Array(data)) }
        })
    }

    /// The one error shape of the API: `{"error": {"code": "...", "message": "..."}}`.
    public static func error(_ status: Status, code: String, message: String, headers: Headers = Headers()) -> Response {
        var response = bytes(Array(JSONErrorBody.render(code: code, message: message).utf8),
                             contentType: "application/json", status: status)
        for field in headers { response.headers.add(field.name, field.value) }
        return response
    }
}

/// Reads a file block by block for a streamed body; closes it at the end.
final class FileBlocks: @unchecked Sendable {
    private let handle: FileHandle
    private let block: Int

    init(handle: FileHandle, block: Int) {
        self.handle = handle
        self.block = block
    }

    func next() throws -> Data? {
        guard let data = try handle.read(upToCount: block), !data.isEmpty else {
            try? handle.close()
            return nil
        }
        return data
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
