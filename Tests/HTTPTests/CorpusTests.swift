// Replays the 99 llhttp strict-mode request cases over a real socket against a server that
// answers 200 to any well-formed request. Every deliberate divergence is named below with
// the RFC 9112 (or 9110) clause behind it.
import Foundation
import Testing
@testable import HTTP

/// llhttp accepts these; this server answers them with the status given, on purpose.
let corpusDivergences: [String: (status: Int, code: String, reason: String)] = {
    let missingHost = (400, "host-required", "RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host field")
    var table: [String: (status: Int, code: String, reason: String)] = [:]
    for title in [
        "Setting flag", "Restarting when keep-alive is explicitly", "Setting flag on `close`",
        "Setting flag on `close` followed by tab", "Sample", "`Content-Length` with zeroes",
        "`Content-Length` with follow-up headers", "Spaces in `Content-Length` (surrounding)",
        "Tabs in `Content-Length` (surrounding)", "REPORT request", "Should parse multiple events",
        "Simple request", "DUMBPACK", "No headers and no body", "One header and no body", "Prefix newline",
        "Request starting with CRLF", "Parsing and setting flag", "Parse chunks with lowercase size",
        "Parse chunks with uppercase size", "POST with `Transfer-Encoding: chunked`",
        "Two chunks and triple zero prefixed end chunk", "Trailing headers", "Chunk extensions",
        "Chunk extensions quoting", "POST with `chunked` as last transfer-encoding",
        "POST with `chunked` as last transfer-encoding (multiple headers)", "Query URL with question mark",
        "Host terminated by a query string", "`host:port` terminated by a query string",
        "Query URL with vertical bar character", "`host:port` terminated by a space",
        "`host:port` and basic auth", "Quotes in URI",
    ] {
        table[title] = missingHost
    }
    let fragment = (400, "fragment-in-target", "RFC 9112 §3.2: a request-target has no fragment (origin-form is path and query)")
    for title in ["Fragment in URI", "POST with `chunked` as last transfer-encoding",
                  "POST with `chunked` as last transfer-encoding (multiple headers)"] {
        table[title] = fragment
    }
    table["No HTTP version"] = (400, "missing-version", "RFC 9112 §3: the request-line requires an HTTP-version; HTTP/0.9 is not served")
    table["SOURCE request with ICE"] = (400, "bad-version", "RFC 9112 §2.3: HTTP-name is \"HTTP\"; ICE/1.0 is another protocol")
    table["OPTIONS request with RTSP"] = (400, "bad-version", "RFC 9112 §2.3: HTTP-name is \"HTTP\"; RTSP/1.0 is another protocol")
    table["ANNOUNCE request with RTSP"] = (400, "bad-version", "RFC 9112 §2.3: HTTP-name is \"HTTP\"; RTSP/1.0 is another protocol")
    table["M-SEARCH request"] = (400, "bad-asterisk-form", "RFC 9112 §3.2.4: the asterisk-form is only for OPTIONS")
    return table
}()

/// llhttp rejects this; the server answers its first, valid request and then closes, so the
/// bytes llhttp objects to are never read (RFC 9112 §9.3: an HTTP/1.0 request without
/// keep-alive ends the connection after the response).
let rejectCasesWithAValidFirstRequest: Set<String> = ["No restart when keep-alive is off (1.0)"]

@Suite struct CorpusTests {
    @Test func everyCaseOverARealSocket() throws {
        let server = try TestServer()
        defer { server.stop() }
        let cases = try Corpus.load()
        #expect(cases.count == 99)
        var tally = (acceptOK: 0, acceptDiverged: 0, rejectOK: 0, rejectAnswered2xx: 0)
        for item in cases {
            let client = try RawClient(port: server.port, timeout: 3)
            try client.send(item.raw)
            client.shutdownWrite()
            let responses = ResponseStream(parsing: client.readAll()).responses.filter { $0.status >= 200 }
            let statuses = responses.map(\.status)
            if item.expectAccept {
                if let divergence = corpusDivergences[item.title] {
                    #expect(statuses.first == divergence.status, "\(item.name): \(divergence.reason); got \(statuses)")
                    #expect(responses.first?.bodyText.contains("\"code\":\"\(divergence.code)\"") == true,
                            "\(item.name): expected error code \(divergence.code), got \(responses.first?.bodyText ?? "nothing")")
                    tally.acceptDiverged += 1
                } else {
                    #expect(!statuses.isEmpty && statuses.allSatisfy { (200..<300).contains($0) }, "\(item.name): got \(statuses)")
                    tally.acceptOK += 1
                }
            } else if rejectCasesWithAValidFirstRequest.contains(item.title) {
                #expect(statuses == [200], "\(item.name): only the first request is answered; got \(statuses)")
                tally.rejectOK += 1
            } else {
                let answered2xx = statuses.contains { (200..<300).contains($0) }
                #expect(!answered2xx, "\(item.name): a reject case was answered \(statuses)")
                if answered2xx { tally.rejectAnswered2xx += 1 } else { tally.rejectOK += 1 }
                if let first = responses.first {
                    #expect(first.header("Connection")?.lowercased() == "close", "\(item.name): error without Connection: close")
                }
            }
            // The server must still answer a plain request after every case.
            let probe = try server.exchange("GET / HTTP/1.1\r\nHost: probe\r\n\r\n")
            #expect(probe.status == 200, "server not answering after \(item.name)")
        }
        print("corpus tally: accept answered 2xx \(tally.acceptOK), accept diverging on purpose \(tally.acceptDiverged), "
              + "reject refused \(tally.rejectOK), reject answered 2xx \(tally.rejectAnswered2xx)")
        #expect(tally.rejectAnswered2xx == 0)
    }
}
