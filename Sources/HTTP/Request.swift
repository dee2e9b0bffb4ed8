// What a handler sees: the parsed head, the body (in memory, or for a streaming route a file),
// path parameters from the route template, decoded query parameters and the request id.
import Foundation

public struct Request: Sendable {
    public let head: RequestHead
    /// The body, kept in memory; empty for a streaming route, whose body is in `upload`.
    public let body: [UInt8]
    public let trailers: Headers
    /// Values of the `{name}` segments of the matched route template, percent-decoded.
    public let pathParameters: [String: String]
    public let query: QueryParameters
    /// Echoed from `X-Request-Id` when the client sent a sane one, generated otherwise.
    public let requestId: String
    /// The template of the matched route (`/v1/submissions/{id}`), for logs and metrics.
    public let routeTemplate: String
    /// The body of a streaming route's request, complete on disk (`Router.addStreaming`);
    /// nil for other routes, and while the route's admission check runs.
    public let upload: UploadedFile?
    /// The client's IP address (of the TCP connection; a proxy's when behind one).
    public let clientAddress: String

    public var method: String { head.method }
    public var path: String { head.path }
    public var headers: Headers { head.headers }

    public init(
        head: RequestHead, body: [UInt8], trailers: Headers = Headers(), pathParameters: [String: String] = [:],
        query: QueryParameters = QueryParameters(), requestId: String = "", routeTemplate: String = "",
        upload: UploadedFile? = nil, clientAddress: String = ""
    ) {
        self.clientAddress = clientAddress
        self.head = head
        self.body = body
        self.trailers = trailers
        self.pathParameters = pathParameters
        self.query = query
        self.requestId = requestId
        self.routeTemplate = routeTemplate
        self.upload = upload
    }

    /// The media type of the body, lowercased, without parameters.
    public var mediaType: String? {
        headers["Content-Type"].map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// Decodes an `application/json` body; 415 for another media type, 400 for bad JSON.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws(HTTPError) -> T {
        guard mediaType == "application/json" else {
            throw HTTPError(.unsupportedMediaType, code: "unsupported-media-type",
                            message: "expected Content-Type: application/json")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, code: "invalid-json", message: JSONErrorDescription.describe(error))
        } catch {
            throw HTTPError(.badRequest, code: "invalid-json", message: "body is not valid JSON")
        }
    }
}

/// A decoding error in words a client can act on: what is wrong, at which key path.
public enum JSONErrorDescription {
    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "the document" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \(key.stringValue) in \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "missing value at \(path(context))"
        case .dataCorrupted(let context): return "invalid JSON at \(path(context)): \(context.debugDescription)"
        @unknown default: return "invalid JSON"
        }
    }
}

/// Query parameters in order, percent-decoded (`+` is a space, as in HTML forms).
public struct QueryParameters: Sendable {
    public let pairs: [(name: String, value: String)]

    public init(pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    public init(parsing query: String?) throws(HTTPError) {
        guard let query, !query.isEmpty else { self.init(); return }
        var pairs: [(name: String, value: String)] = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusIsSpace: true),
                  let value = PercentDecoding.decode(parts.count > 1 ? parts[1] : "", plusIsSpace: true) else {
                throw HTTPError(.badRequest, code: "bad-query", message: "query parameter \(item) has bad percent-encoding")
            }
            pairs.append((name, value))
        }
        self.init(pairs: pairs)
    }

    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    public func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }
}

enum PercentDecoding {
    /// nil when a `%` is not followed by two hex digits or the result is not UTF-8.
    static func decode<S: StringProtocol>(_ text: S, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(ASCII.hexValue),
                      let low = iterator.next().flatMap(ASCII.hexValue) else { return nil }
                bytes.append(UInt8(high << 4 | low))
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
