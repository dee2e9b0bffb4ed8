// Collects the request line and header fields of one request and applies the RFC 9112
// framing rules (Host, Content-Length, Transfer-Encoding, Connection, Expect) to them.

struct HeadBuilder {
    var method = ""
    var target = ""
    var path = ""
    var query: String?
    var version = HTTPVersion.http11
    var headers = Headers()
    var headerBytes = 0
    var fieldCount = 0
    var hostCount = 0
    var hostValue = ""
    var contentLength: Int?
    var transferCodings: [String] = []
    var sawTransferEncoding = false
    var connectionClose = false
    var connectionKeepAlive = false
    var sawUpgrade = false
    var expectation: String?

    // MARK: request line (RFC 9112 §3)

    mutating func setRequestLine(_ line: [UInt8]) throws(ParseError) {
        let parts = line.split(separator: ASCII.space, omittingEmptySubsequences: false)
        if parts.count == 2 {
            throw ParseError.bad("missing-version", "request line has no HTTP version; HTTP/0.9 is not supported")
        }
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw ParseError.bad("bad-request-line", "request line must be: method SP target SP HTTP-version, single spaces")
        }
        version = try Self.parseVersion(parts[2])
        guard ASCII.isToken(parts[0]) else { throw ParseError.bad("bad-method", "method is not a token") }
        method = String(decoding: parts[0], as: UTF8.self)
        guard Method.recognised.contains(method) else {
            throw ParseError(.notImplemented, "unknown-method", "method \(method) is not recognised")
        }
        guard !Method.notImplemented.contains(method) else {
            throw ParseError(.notImplemented, "method-not-implemented", "method \(method) is not implemented")
        }
        guard parts[1].allSatisfy(ASCII.isTargetByte) else {
            throw ParseError.bad("bad-target", "request target contains a byte outside visible ASCII")
        }
        target = String(decoding: parts[1], as: UTF8.self)
        try splitTarget(parts[1])
    }

    static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> HTTPVersion {
        let start = bytes.startIndex
        guard bytes.count == 8, bytes[start..<(start + 5)].elementsEqual("HTTP/".utf8),
              ASCII.isDigit(bytes[start + 5]), bytes[start + 6] == UInt8(ascii: "."), ASCII.isDigit(bytes[start + 7]) else {
            throw ParseError.bad("bad-version", "HTTP version must look like HTTP/1.1 (RFC 9112 §2.3)")
        }
        let (major, minor) = (bytes[start + 5], bytes[start + 7])
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http11
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http10
        default:
            throw ParseError(.httpVersionNotSupported, "version-not-supported", "only HTTP/1.0 and HTTP/1.1 are supported")
        }
    }

    /// origin-form, absolute-form (http/https) and asterisk-form for OPTIONS (RFC 9112 §3.2).
    mutating func splitTarget(_ raw: ArraySlice<UInt8>) throws(ParseError) {
        if raw.contains(UInt8(ascii: "#")) {
            throw ParseError.bad("fragment-in-target", "a request target carries no fragment (RFC 9112 §3.2)")
        }
        var rest = raw
        if raw.first == UInt8(ascii: "*") {
            guard raw.count == 1, method == "OPTIONS" else {
                throw ParseError.bad("bad-asterisk-form", "the asterisk form is only for OPTIONS (RFC 9112 §3.2.4)")
            }
            path = "*"
            return
        } else if raw.first != UInt8(ascii: "/") {
            let lowered = raw.prefix(8).map(ASCII.lower)
            let schemeLength: Int
            if lowered.starts(with: "http://".utf8) { schemeLength = 7 }
            else if lowered.starts(with: "https://".utf8) { schemeLength = 8 }
            else { throw ParseError.bad("bad-target", "request target must be a path or an http(s) URI") }
            let afterScheme = raw.dropFirst(schemeLength)
            let authorityEnd = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? afterScheme.endIndex
            guard authorityEnd > afterScheme.startIndex else {
                throw ParseError.bad("bad-target", "absolute URI without a host")
            }
            rest = raw[authorityEnd...]
        }
        if let mark = rest.firstIndex(of: UInt8(ascii: "?")) {
            path = String(decoding: rest[..<mark], as: UTF8.self)
            query = String(decoding: rest[(mark + 1)...], as: UTF8.self)
        } else {
            path = String(decoding: rest, as: UTF8.self)
        }
        if path.isEmpty { path = "/" }
    }

    // MARK: header fields (RFC 9112 §5)

    /// field-line = field-name ":" OWS field-value OWS; no whitespace before the colon, no
    /// obs-fold, no control bytes.
    static func parseField(_ line: [UInt8]) throws(ParseError) -> (String, String) {
        guard let first = line.first, first != ASCII.space, first != ASCII.tab else {
            throw ParseError.bad("obs-fold", "header line starts with whitespace (obsolete line folding, RFC 9112 §5.2)")
        }
        guard let colon = line.firstIndex(of: ASCII.colon) else {
            throw ParseError.bad("bad-header", "header line has no colon")
        }
        let name = line[..<colon]
        guard ASCII.isToken(name) else {
            if let last = name.last, last == ASCII.space || last == ASCII.tab {
                throw ParseError.bad("space-before-colon", "whitespace between field name and colon (RFC 9112 §5.1)")
            }
            throw ParseError.bad("bad-header-name", "field name is not a token")
        }
        var start = colon + 1
        var end = line.endIndex
        while start < end, line[start] == ASCII.space || line[start] == ASCII.tab { start += 1 }
        while end > start, line[end - 1] == ASCII.space || line[end - 1] == ASCII.tab { end -= 1 }
        let value = line[start..<end]
        guard value.allSatisfy(ASCII.isFieldValueByte) else {
            throw ParseError.bad("bad-header-value", "field value contains a control byte")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    mutating func addField(_ line: [UInt8], limits: Limits) throws(ParseError) {
        let (name, value) = try Self.parseField(line)
        headerBytes += line.count
        fieldCount += 1
        if fieldCount > limits.maxHeaderCount {
            throw ParseError(.headerFieldsTooLarge, "too-many-headers", "more than \(limits.maxHeaderCount) header fields")
        }
        switch name.utf8.count {
        case 4 where Headers.sameName(name, "host"):
            hostCount += 1
            hostValue = value
        case 14 where Headers.sameName(name, "content-length"):
            guard contentLength == nil else {
                throw ParseError.bad("duplicate-content-length", "more than one Content-Length field (RFC 9112 §6.3)")
            }
            contentLength = try Self.parseContentLength(value)
        case 17 where Headers.sameName(name, "transfer-encoding"):
            sawTransferEncoding = true
            for element in value.split(separator: ",") {
                let coding = element.trimmingOWS().lowercased()
                if !coding.isEmpty { transferCodings.append(coding) }
            }
        case 10 where Headers.sameName(name, "connection"):
            for element in value.split(separator: ",") {
                switch element.trimmingOWS().lowercased() {
                case "close": connectionClose = true
                case "keep-alive": connectionKeepAlive = true
                default: break
                }
            }
        case 7 where Headers.sameName(name, "upgrade"):
            sawUpgrade = true
        case 6 where Headers.sameName(name, "expect"):
            expectation = value
        default:
            break
        }
        headers.add(name, value)
    }

    static func parseContentLength(_ value: String) throws(ParseError) -> Int {
        guard !value.isEmpty, value.utf8.allSatisfy(ASCII.isDigit) else {
            throw ParseError.bad("bad-content-length", "Content-Length must be digits only (RFC 9110 §8.6)")
        }
        var result = 0
        for digit in value.utf8 {
            let (times, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                throw ParseError.bad("content-length-overflow", "Content-Length does not fit in 63 bits")
            }
            result = sum
        }
        return result
    }

    // MARK: framing decision (RFC 9112 §6, §9.3)

    /// The body's size is not judged here: its limit depends on the route (`RequestParser.takeBody`).
    func build() throws(ParseError) -> RequestHead {
        if hostCount > 1 || (version == .http11 && hostCount == 0) {
            throw ParseError.bad("host-required", "an HTTP/1.1 request needs exactly one Host field (RFC 9112 §3.2)")
        }
        if hostCount == 1 && !Self.isValidHost(hostValue) {
            throw ParseError.bad("bad-host", "Host field is not a valid authority (RFC 9112 §3.2)")
        }
        var framing = BodyFraming.none
        if sawTransferEncoding {
            if version == .http10 {
                throw ParseError.bad("transfer-encoding-in-http10", "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)")
            }
            if contentLength != nil {
                throw ParseError.bad("content-length-with-transfer-encoding",
                    "Content-Length and Transfer-Encoding together (RFC 9112 §6.1)")
            }
            guard transferCodings.last == "chunked" else {
                throw ParseError.bad("chunked-not-final", "chunked must be the final transfer coding (RFC 9112 §6.3)")
            }
            guard transferCodings.count == 1 else {
                if transferCodings.dropLast().contains("chunked") {
                    throw ParseError.bad("chunked-twice", "chunked applied more than once (RFC 9112 §7)")
                }
                throw ParseError(.notImplemented, "transfer-coding-not-implemented",
                    "only the chunked transfer coding is supported")
            }
            framing = .chunked
        } else if let contentLength {
            framing = .length(contentLength)
        }
        if sawUpgrade {
            throw ParseError(.notImplemented, "upgrade-not-supported",
                "this server speaks HTTP/1.1 only; protocol upgrades are not supported")
        }
        var expectsContinue = false
        if let expectation {
            guard expectation.lowercased() == "100-continue" else {
                throw ParseError(.expectationFailed, "expectation-failed", "only Expect: 100-continue is supported")
            }
            expectsContinue = version == .http11 && framing != .none && framing != .length(0)
        }
        let keepAlive = version == .http11 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        return RequestHead(
            method: method, target: target, path: path, query: query, version: version,
            headers: headers, framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    /// uri-host [ ":" port ]: reg-name, IPv4 or a bracketed IPv6 literal (RFC 3986 §3.2.2).
    static func isValidHost(_ value: String) -> Bool {
        // RFC 9112 §3.2: an empty Host is allowed when the URI has no authority.
        value.utf8.allSatisfy { hostTable[Int($0)] }
    }

    static let hostTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%".utf8 {
            table[Int(byte)] = true
        }
        return table
    }()
}

extension Substring {
    func trimmingOWS() -> Substring {
        var slice = self
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}
