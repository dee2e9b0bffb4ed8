// The request parser without sockets: framing rules, limits, and that feeding one byte at a
// time gives exactly what feeding everything at once gives.
import Foundation
import Testing
@testable import HTTP

/// A printable summary of everything the parser reported, to compare runs.
func parse(_ bytes: [UInt8], limits: Limits = Limits(), split: Int? = nil) -> [String] {
    var parser = RequestParser(limits: limits)
    var events: [RequestParser.Event] = []
    var log: [String] = []
    let step = split ?? max(bytes.count, 1)
    var start = 0
    repeat {
        let end = min(start + step, bytes.count)
        events.removeAll()
        do {
            try bytes[start..<end].withUnsafeBytes { try parser.feed($0, into: &events) }
        } catch let error as ParseError {
            log += events.map(describe)
            log.append("error \(error.status.code) \(error.code)")
            return log
        } catch {
            log.append("unexpected \(error)")
            return log
        }
        log += events.map(describe)
        start = end
    } while start < bytes.count
    return log
}

/// Parses `step` bytes at a time with every body streamed: the body bytes reported through
/// `.body` events, and a summary of the other events (or the error).
func parseStreaming(_ bytes: [UInt8], limits: Limits = Limits(), streamLimit: Int, step: Int) -> (body: [UInt8], log: [String]) {
    var parser = RequestParser(limits: limits)
    var events: [RequestParser.Event] = []
    var body: [UInt8] = []
    var log: [String] = []
    var start = 0
    var failed = false
    repeat {
        let end = min(start + step, bytes.count)
        bytes[start..<end].withUnsafeBytes { piece in
            var index = 0
            repeat {
                events.removeAll()
                var failure: ParseError?
                do throws(ParseError) {
                    index = try parser.parse(piece, from: index, into: &events)
                    try parser.takeBody(.stream(limit: streamLimit))
                } catch {
                    failure = error
                }
                for event in events {
                    if case .body(let range) = event { body += piece[range] } else { log.append(describe(event)) }
                }
                if let failure {
                    log.append("error \(failure.status.code) \(failure.code)")
                    failed = true
                }
            } while !failed && index < piece.count
        }
        start = end
    } while !failed && start < bytes.count
    return (body, log)
}

func describe(_ event: RequestParser.Event) -> String {
    switch event {
    case .head(let head):
        "head \(head.method) \(head.path) q=\(head.query ?? "-") \(head.version) \(head.framing) keepAlive=\(head.keepAlive) continue=\(head.expectsContinue)"
    case .body(let range):
        "body \(range.count) bytes"
    case .request(let request):
        "request body=\(String(decoding: request.body, as: UTF8.self)) trailers=\(request.trailers.map { "\($0.name)=\($0.value)" })"
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct ParserTests {
    @Test func simpleGetWholeAndByteAtATime() {
        let raw = bytes("GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n")
        let whole = parse(raw)
        #expect(whole == ["head GET /a/b q=x=1 HTTP/1.1 none keepAlive=true continue=false", "request body= trailers=[]"])
        #expect(parse(raw, split: 1) == whole)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let raw = bytes("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;a=b;c=\"q\\\"x\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n")
        let whole = parse(raw)
        #expect(whole.last == "request body=hello world trailers=[\"X-Sum=1\"]")
        for split in [1, 2, 3, 7] { #expect(parse(raw, split: split) == whole) }
    }

    @Test func pipelinedRequestsInOneBuffer() {
        let raw = bytes("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\n\r\n")
        let whole = parse(raw)
        #expect(whole.filter { $0.hasPrefix("request") }.count == 3)
        #expect(whole.contains("request body=abc trailers=[]"))
        #expect(parse(raw, split: 1) == whole)
    }

    @Test func http10ClosesUnlessKeepAlive() {
        #expect(parse(bytes("GET / HTTP/1.0\r\n\r\n"))[0].hasSuffix("keepAlive=false continue=false"))
        #expect(parse(bytes("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))[0].hasSuffix("keepAlive=true continue=false"))
        #expect(parse(bytes("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))[0].contains("keepAlive=false"))
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", "error 400 host-required"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "error 400 host-required"),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", "error 505 version-not-supported"),
        ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", "error 400 bad-version"),
        ("GET /\r\n\r\n", "error 400 missing-version"),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "error 400 bad-request-line"),
        ("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", "error 501 unknown-method"),
        ("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", "error 501 method-not-implemented"),
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", "error 400 bad-asterisk-form"),
        ("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", "error 400 fragment-in-target"),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "error 400 space-before-colon"),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "error 400 obs-fold"),
        ("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", "error 400 bare-cr"),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", "error 400 bare-lf"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", "error 400 bad-header-value"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", "error 400 duplicate-content-length"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", "error 400 bad-content-length"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", "error 400 content-length-overflow"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "error 400 content-length-with-transfer-encoding"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "error 400 chunked-not-final"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "error 501 transfer-coding-not-implemented"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "error 400 chunked-twice"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "error 400 transfer-encoding-in-http10"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", "error 400 bad-chunk-extension"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n", "error 400 bad-chunk-extension"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "error 400 bad-chunk-size"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", "error 400 chunk-size-overflow"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", "error 400 chunk-data-unterminated"),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", "error 417 expectation-failed"),
        ("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n", "error 501 upgrade-not-supported"),
    ])
    func rejectsWithStatus(raw: String, expected: String) {
        let whole = parse(bytes(raw))
        #expect(whole.last == expected, "\(raw.debugDescription)")
        #expect(parse(bytes(raw), split: 1) == whole, "byte-at-a-time differs for \(raw.debugDescription)")
    }

    @Test func limitsMapToTheirStatuses() {
        var limits = Limits()
        limits.maxRequestLineBytes = 64
        limits.maxHeaderBytes = 128
        limits.maxHeaderCount = 3
        limits.maxBodyBytes = 10
        let longTarget = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(parse(bytes(longTarget), limits: limits).last == "error 414 request-line-too-long")
        let bigHeader = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 200) + "\r\n\r\n"
        #expect(parse(bytes(bigHeader), limits: limits).last == "error 431 header-too-large")
        let manyHeaders = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(parse(bytes(manyHeaders), limits: limits).last == "error 431 too-many-headers")
        let bigBody = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
        #expect(parse(bytes(bigBody), limits: limits).last == "error 413 body-too-large")
        let bigChunks = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n"
        #expect(parse(bytes(bigChunks), limits: limits).last == "error 413 body-too-large")
        for raw in [longTarget, bigHeader, manyHeaders, bigBody, bigChunks] {
            #expect(parse(bytes(raw), limits: limits, split: 1) == parse(bytes(raw), limits: limits))
        }
    }

    @Test func streamedBodiesAreReportedNotKeptAndObeyTheirOwnLimit() {
        var limits = Limits()
        limits.maxBodyBytes = 4
        let raw = bytes("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
            + "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n")
        let whole = parseStreaming(raw, limits: limits, streamLimit: 11, step: raw.count)
        #expect(String(decoding: whole.body, as: UTF8.self) == "hello worldhello world")
        #expect(whole.log.filter { $0.hasPrefix("request") } == ["request body= trailers=[]", "request body= trailers=[\"X-T=1\"]"])
        for step in [1, 2, 5] {
            let split = parseStreaming(raw, limits: limits, streamLimit: 11, step: step)
            #expect(split.body == whole.body && split.log == whole.log, "split into \(step) bytes")
        }
        let tooLong = bytes("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n")
        #expect(parseStreaming(tooLong, streamLimit: 11, step: 100).log.last == "error 413 body-too-large")
        let tooManyChunks = bytes("POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n6\r\n")
        #expect(parseStreaming(tooManyChunks, streamLimit: 11, step: 100).log.last == "error 413 body-too-large")
    }

    @Test func chunkSizeNearIntMaxIs413NotAnOverflow() {
        let raw = bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7fffffffffffffff\r\n")
        #expect(parse(raw).last == "error 413 body-too-large")
    }

    @Test func expectContinueOnlyWithABody() {
        let raw = "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok"
        #expect(parse(bytes(raw))[0].hasSuffix("continue=true"))
        let empty = "GET /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n"
        #expect(parse(bytes(empty))[0].hasSuffix("continue=false"))
    }

    @Test func absoluteFormKeepsPathAndQuery() {
        let events = parse(bytes("GET http://example.org:8080/p/q?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n"))
        #expect(events[0].hasPrefix("head GET /p/q q=x=1"))
        let bare = parse(bytes("GET http://example.org?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n"))
        #expect(bare[0].hasPrefix("head GET / q=x=1"))
    }

    @Test func everyCorpusCaseIsSplitInvariant() throws {
        for item in try Corpus.load() {
            let whole = parse(item.raw)
            #expect(parse(item.raw, split: 1) == whole, "\(item.name)")
            #expect(parse(item.raw, split: 3) == whole, "\(item.name)")
        }
    }

    @Test func stopsAfterARequestThatCloses() {
        let raw = bytes("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n")
        #expect(parse(raw).filter { $0.hasPrefix("request") }.count == 1)
    }
}
