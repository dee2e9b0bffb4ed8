// multipart/form-data (RFC 7578, framing of RFC 2046 §5.1): splits a body into parts with
// their Content-Disposition name and filename, Content-Type and bytes, within limits.

public struct MultipartLimits: Sendable, Equatable {
    /// Parts in one body. Default 64.
    public var maxParts: Int = 64
    /// Bytes of one part's content. Default 64 MiB (the body limit bounds it anyway).
    public var maxPartBytes: Int = 64 * 1024 * 1024
    /// Bytes of one part's header section. Default 8 KiB.
    public var maxHeaderBytes: Int = 8 * 1024

    public init(maxParts: Int = 64, maxPartBytes: Int = 64 * 1024 * 1024, maxHeaderBytes: Int = 8 * 1024) {
        self.maxParts = maxParts
        self.maxPartBytes = maxPartBytes
        self.maxHeaderBytes = maxHeaderBytes
    }
}

public struct MultipartPart: Sendable {
    public let name: String
    public let filename: String?
    /// The part's Content-Type; `text/plain` when absent (RFC 7578 §4.4).
    public let contentType: String
    public let headers: Headers
    public let body: [UInt8]
}

public enum MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    case notMultipart(contentType: String?)
    case missingBoundary
    case badBoundary(String)
    case noFirstBoundary
    case unterminated
    case badPartHeader(part: Int, reason: String)
    case missingName(part: Int)
    case tooManyParts(limit: Int)
    case partTooLarge(name: String, limit: Int)
    case partHeaderTooLarge(part: Int, limit: Int)

    public var description: String {
        switch self {
        case .notMultipart(let type): "expected Content-Type multipart/form-data, got \(type ?? "none")"
        case .missingBoundary: "multipart/form-data needs a boundary parameter"
        case .badBoundary(let boundary): "boundary \(boundary) is not 1 to 70 allowed characters (RFC 2046 §5.1.1)"
        case .noFirstBoundary: "body does not start with the boundary delimiter"
        case .unterminated: "body ends before the closing boundary delimiter"
        case .badPartHeader(let part, let reason): "part \(part): bad header: \(reason)"
        case .missingName(let part): "part \(part) has no Content-Disposition: form-data; name=..."
        case .tooManyParts(let limit): "more than \(limit) parts"
        case .partTooLarge(let name, let limit): "part \(name) is larger than \(limit) bytes"
        case .partHeaderTooLarge(let part, let limit): "part \(part) has a header section larger than \(limit) bytes"
        }
    }

    public var httpError: HTTPError {
        switch self {
        case .notMultipart: HTTPError(.unsupportedMediaType, code: "unsupported-media-type", message: description)
        case .tooManyParts, .partTooLarge, .partHeaderTooLarge: HTTPError(.contentTooLarge, code: "multipart-too-large", message: description)
        default: HTTPError(.badRequest, code: "bad-multipart", message: description)
        }
    }
}

public enum MultipartParser {
    /// The boundary parameter of a `multipart/form-data` Content-Type.
    public static func boundary(contentType: String?) throws(MultipartError) -> String {
        guard let contentType else { throw .notMultipart(contentType: nil) }
        let semicolon = contentType.firstIndex(of: ";") ?? contentType.endIndex
        guard contentType[..<semicolon].trimmingOWS().lowercased() == "multipart/form-data" else {
            throw .notMultipart(contentType: contentType)
        }
        let parameters = Parameters.parse(Array(contentType[semicolon...].utf8))
        guard let boundary = parameters?.first(where: { $0.name == "boundary" })?.value else { throw .missingBoundary }
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".utf8)
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.allSatisfy(allowed.contains), boundary.last != " " else {
            throw .badBoundary(boundary)
        }
        return boundary
    }

    public static func parse(_ body: [UInt8], boundary: String, limits: MultipartLimits = MultipartLimits()) throws(MultipartError) -> [MultipartPart] {
        let dash = Array("--".utf8) + Array(boundary.utf8)
        let delimiter = [ASCII.cr, ASCII.lf] + dash
        // The first delimiter may start the body (no preamble) or follow a preamble and CRLF.
        var index: Int
        if body.starts(with: dash) {
            index = dash.count
        } else if let found = find(delimiter, in: body, from: 0) {
            index = found + delimiter.count
        } else {
            throw .noFirstBoundary
        }
        var parts: [MultipartPart] = []
        while true {
            // After a delimiter: "--" closes; otherwise optional padding, then CRLF.
            if body.count - index >= 2 && body[index] == UInt8(ascii: "-") && body[index + 1] == UInt8(ascii: "-") {
                return parts
            }
            while index < body.count, body[index] == ASCII.space || body[index] == ASCII.tab { index += 1 }
            guard index + 1 < body.count, body[index] == ASCII.cr, body[index + 1] == ASCII.lf else { throw .unterminated }
            index += 2
            guard parts.count < limits.maxParts else { throw .tooManyParts(limit: limits.maxParts) }
            let number = parts.count + 1
            guard let headerEnd = find([ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf], in: body, from: index - 2,
                                       limit: limits.maxHeaderBytes + 4) else {
                if body.count - index > limits.maxHeaderBytes { throw .partHeaderTooLarge(part: number, limit: limits.maxHeaderBytes) }
                throw .unterminated
            }
            let headers = try parseHeaders(body[index..<max(index, headerEnd)], part: number)
            let contentStart = headerEnd + 4
            guard let contentEnd = find(delimiter, in: body, from: contentStart) else { throw .unterminated }
            let (name, filename) = try disposition(headers, part: number)
            guard contentEnd - contentStart <= limits.maxPartBytes else { throw .partTooLarge(name: name, limit: limits.maxPartBytes) }
            parts.append(MultipartPart(name: name, filename: filename, contentType: headers["Content-Type"] ?? "text/plain",
                                       headers: headers, body: Array(body[contentStart..<contentEnd])))
            index = contentEnd + delimiter.count
        }
    }

    static func parseHeaders(_ bytes: ArraySlice<UInt8>, part: Int) throws(MultipartError) -> Headers {
        var headers = Headers()
        if bytes.isEmpty { return headers }
        var lines: [[UInt8]] = [[]]
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.cr {
                guard index + 1 < bytes.endIndex, bytes[index + 1] == ASCII.lf else {
                    throw .badPartHeader(part: part, reason: "CR without LF")
                }
                lines.append([])
                index += 2
                continue
            }
            lines[lines.count - 1].append(byte)
            index += 1
        }
        for line in lines {
            do {
                let (name, value) = try HeadBuilder.parseField(line)
                headers.add(name, value)
            } catch {
                throw .badPartHeader(part: part, reason: error.message)
            }
        }
        return headers
    }

    static func disposition(_ headers: Headers, part: Int) throws(MultipartError) -> (String, String?) {
        guard let value = headers["Content-Disposition"] else { throw .missingName(part: part) }
        let bytes = Array(value.utf8)
        guard let semicolon = bytes.firstIndex(of: ASCII.semicolon),
              ASCII.equalsLowercase(bytes[..<semicolon].trimmingTrailingOWS(), "form-data"),
              let parameters = Parameters.parse(Array(bytes[semicolon...])) else {
            throw .missingName(part: part)
        }
        guard let name = parameters.first(where: { $0.name == "name" })?.value else { throw .missingName(part: part) }
        return (name, parameters.first { $0.name == "filename" }?.value)
    }

    /// First index of `needle` in `haystack` at or after `start`, looking at most `limit` bytes.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, limit: Int = .max) -> Int? {
        guard let first = needle.first, start >= 0 else { return nil }
        let end = min(haystack.count - needle.count, start > Int.max - limit ? Int.max : start + limit - needle.count)
        guard end >= start else { return nil }
        return haystack.withUnsafeBufferPointer { hay -> Int? in
            var index = start
            while index <= end {
                if hay[index] == first {
                    var matched = 1
                    while matched < needle.count && hay[index + matched] == needle[matched] { matched += 1 }
                    if matched == needle.count { return index }
                }
                index += 1
            }
            return nil
        }
    }
}

/// `; name=value; name="quoted \" value"` parameter lists (RFC 9110 §5.6.6); names lowercased.
enum Parameters {
    static func parse(_ bytes: [UInt8]) -> [(name: String, value: String)]? {
        var result: [(name: String, value: String)] = []
        var index = 0
        func skipOWS() { while index < bytes.count, bytes[index] == ASCII.space || bytes[index] == ASCII.tab { index += 1 } }
        while true {
            skipOWS()
            if index == bytes.count { return result }
            guard bytes[index] == ASCII.semicolon else { return nil }
            index += 1
            skipOWS()
            if index == bytes.count { return result }
            let nameStart = index
            while index < bytes.count, ASCII.isToken(bytes[index]) { index += 1 }
            guard index > nameStart, index < bytes.count, bytes[index] == ASCII.equals else { return nil }
            let name = String(decoding: bytes[nameStart..<index].map(ASCII.lower), as: UTF8.self)
            index += 1
            var value: [UInt8] = []
            if index < bytes.count, bytes[index] == ASCII.quote {
                index += 1
                var closed = false
                while index < bytes.count {
                    let byte = bytes[index]
                    index += 1
                    if byte == ASCII.quote { closed = true; break }
                    if byte == ASCII.backslash {
                        guard index < bytes.count else { return nil }
                        value.append(bytes[index])
                        index += 1
                    } else {
                        value.append(byte)
                    }
                }
                guard closed else { return nil }
            } else {
                let valueStart = index
                while index < bytes.count, ASCII.isToken(bytes[index]) { index += 1 }
                guard index > valueStart else { return nil }
                value = Array(bytes[valueStart..<index])
            }
            result.append((name, String(decoding: value, as: UTF8.self)))
        }
    }
}

extension ArraySlice where Element == UInt8 {
    func trimmingTrailingOWS() -> ArraySlice<UInt8> {
        var slice = self
        while let last = slice.last, last == ASCII.space || last == ASCII.tab { slice.removeLast() }
        return slice
    }
}

extension Request {
    /// The parts of a `multipart/form-data` body; HTTPError (400, 413, 415) when it is not one.
    public func multipart(limits: MultipartLimits = MultipartLimits()) throws(HTTPError) -> [MultipartPart] {
        do {
            let boundary = try MultipartParser.boundary(contentType: headers["Content-Type"])
            return try MultipartParser.parse(body, boundary: boundary, limits: limits)
        } catch {
            throw error.httpError
        }
    }
}
