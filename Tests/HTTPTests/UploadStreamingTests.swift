// Streaming routes over real sockets and the real curl: bodies far above the global limit land
// in a file with the right size and SHA-256, limits and admission answer before the body, no
// temporary file survives a body that never completes, and memory does not grow with the body.
import Foundation
import Testing
import TestSupport
@testable import HTTP
#if canImport(Glibc)
import Glibc
#endif

/// What the streaming routes' handlers and admission check saw.
final class UploadLog: Sendable {
    struct Admission {
        let name: String?
        let bodyIsEmpty: Bool
        let uploadIsNil: Bool
        let requestId: String
    }

    let uploads = Locked<[UploadedFile]>([])
    /// Permission bits of each file the moving handler received.
    let modes = Locked<[UInt32]>([])
    let admissions = Locked<[Admission]>([])
    /// Resident bytes when the measuring route's handler ran: the whole body has arrived.
    let residentInHandler = Locked<Int>(0)

    var handled: Int { uploads.withLock { $0.count } }
}

/// A server whose streaming routes write into a fresh directory, with a global body limit of
/// 1 MiB: every body streamed here is far above it.
final class UploadFixture {
    static let globalLimit = 1 << 20
    static let routeLimit = 400_000_000
    static let token = "Bearer letmein"

    let root: URL
    let log = UploadLog()
    private(set) var server: TestServer!

    /// Where temporary files are made; must be empty whenever no body is on its way.
    var incoming: String { root.appending(path: "incoming").path }
    /// Where handlers move finished files.
    var kept: String { root.appending(path: "kept").path }

    init(configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        root = FileManager.default.temporaryDirectory.appending(path: "http-upload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root.appending(path: "kept").path, withIntermediateDirectories: true)
        server = try TestServer(router: router()) {
            $0.limits.maxBodyBytes = Self.globalLimit
            configure(&$0)
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func stop() { server.stop() }

    private func router() -> Router {
        var router = acceptEverythingRouter()
        let (log, kept) = (log, kept)
        let policy = UploadPolicy(directory: incoming, maxBodyBytes: Self.routeLimit)
        // Moves the file into place, as an application would.
        let keep: Handler = { request in
            guard let upload = request.upload else { throw HTTPError(.internalServerError, code: "no-upload", message: "") }
            log.uploads.withLock { $0.append(upload) }
            var status = stat()
            if stat(upload.path, &status) == 0 { log.modes.withLock { $0.append(UInt32(status.st_mode) & 0o777) } }
            let name = request.pathParameters["name"] ?? "unnamed"
            guard rename(upload.path, kept + "/" + name) == 0 else {
                throw HTTPError(.internalServerError, code: "rename", message: "errno \(errno)")
            }
            return Response.text("\(upload.size) \(upload.sha256) body=\(request.body.count)")
        }
        router.addStreaming("POST", "/files/{name}", upload: policy, handler: keep)
        router.addStreaming("PUT", "/small/{name}", upload: UploadPolicy(directory: incoming, maxBodyBytes: 1 << 20), handler: keep)
        router.addStreaming("POST", "/guarded/{name}", upload: policy, admit: { request in
            log.admissions.withLock {
                $0.append(UploadLog.Admission(name: request.pathParameters["name"], bodyIsEmpty: request.body.isEmpty,
                                              uploadIsNil: request.upload == nil, requestId: request.requestId))
            }
            guard request.headers["Authorization"] == Self.token else {
                throw HTTPError(.unauthorized, code: "token-required", message: "send a valid bearer token")
            }
        }, handler: keep)
        // Leaves the file where it is: the server must delete it.
        router.addStreaming("POST", "/measured", upload: policy) { request in
            log.residentInHandler.withLock { $0 = residentBytes() }
            log.uploads.withLock { $0.append(request.upload!) }
            return Response.text("\(request.upload!.size) \(request.upload!.sha256)")
        }
        // A file where a directory should be: no temporary file can be made.
        router.addStreaming("POST", "/broken", upload: UploadPolicy(directory: "/dev/null/uploads", maxBodyBytes: 1000),
                            handler: keep)
        router.get("/ping", execution: .inline) { _ in Response.text("pong") }
        return router
    }

    /// Entries of the temporary directory (none before the first upload created it).
    func temporaryFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? []
    }

    func keptSHA256(_ name: String) throws -> String { try sha256(file: kept + "/" + name) }
}

/// The process's resident set, from /proc/self/statm (the server runs in this process).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * sysconf(Int32(_SC_PAGESIZE)) : 0
}

func sha256(file path: String) throws -> String {
    let result = try Subprocess.run("/usr/bin/sha256sum", [path])
    return String(result.stdoutText.prefix(64))
}

func sha256(_ bytes: [UInt8]) throws -> String {
    let result = try Subprocess.run("/usr/bin/sha256sum", ["-"], stdin: Data(bytes))
    return String(result.stdoutText.prefix(64))
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
    return bytes
}

/// `bytes` in the chunked coding, `size` bytes a chunk.
func chunked(_ bytes: [UInt8], size: Int) -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + size, bytes.count)
        out += Array((String(end - offset, radix: 16) + "\r\n").utf8) + bytes[offset..<end] + Array("\r\n".utf8)
        offset = end
    }
    return out + Array("0\r\n\r\n".utf8)
}

@Suite(.serialized) struct UploadStreamingTests {
    @Test func curlUploadsFiftyMegabytesWholeAndChunked() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let source = fixture.root.appending(path: "source.bin").path
        let size = 50_000_000
        let made = try Subprocess.run("/usr/bin/dd", ["if=/dev/urandom", "of=\(source)", "bs=1000000", "count=50", "status=none"])
        #expect(made.status == 0, "\(made.stderrText)")
        let expected = try sha256(file: source)
        let base = "http://127.0.0.1:\(fixture.server.port)"

        // The global limit still holds for ordinary routes.
        let ordinary = try fixture.server.exchange("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(2 << 20)\r\n\r\n")
        #expect(ordinary.status == 413)

        let whole = try Curl.run(["--data-binary", "@\(source)", "-H", "Content-Type: application/octet-stream",
                                  "-w", " %{http_code}", "\(base)/files/whole"])
        #expect(whole.stdout == "\(size) \(expected) body=0 200", "\(whole.stderr)")
        let chunkedUpload = try Curl.run(["-v", "--data-binary", "@\(source)", "-H", "Transfer-Encoding: chunked",
                                          "-w", " %{http_code}", "\(base)/files/chunked"])
        #expect(chunkedUpload.stdout == "\(size) \(expected) body=0 200")
        #expect(chunkedUpload.stderr.contains("Transfer-Encoding: chunked"))

        #expect(fixture.log.uploads.withLock { $0.map(\.size) } == [size, size])
        #expect(fixture.log.modes.withLock { $0 } == [0o600, 0o600])
        #expect(try Subprocess.run("/usr/bin/cmp", [source, fixture.kept + "/whole"]).status == 0)
        #expect(try Subprocess.run("/usr/bin/cmp", [source, fixture.kept + "/chunked"]).status == 0)
        #expect(fixture.temporaryFiles().isEmpty)
    }

    @Test func emptyBodyGivesAnEmptyFileAndNoFramingGets411() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let empty = try fixture.server.exchange("POST /files/empty HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        #expect(empty.status == 200)
        #expect(empty.bodyText == "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 body=0")
        #expect(try FileManager.default.attributesOfItem(atPath: fixture.kept + "/empty")[.size] as? Int == 0)
        let unframed = try fixture.server.exchange("POST /files/none HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(unframed.status == 411)
        #expect(fixture.log.handled == 1)
        #expect(fixture.temporaryFiles().isEmpty)
    }

    @Test func contentLengthOverTheRouteLimitIs413BeforeTheBody() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let client = try RawClient(port: fixture.server.port)
        // Ten gigabytes announced, three bytes sent: the answer cannot wait for the body.
        let start = ContinuousClock.now
        try client.send("POST /files/huge HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000000\r\n\r\nabc")
        let response = try client.readResponse()
        #expect((ContinuousClock.now - start).seconds < 2)
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        #expect(response.bodyText.hasPrefix("{\"error\":{\"code\":\"body-too-large\",\"message\":"))
        #expect(response.bodyText.contains("\(UploadFixture.routeLimit)"), "the route's limit is stated: \(response.bodyText)")
        #expect(client.waitForClose())
        #expect(fixture.log.handled == 0)
        #expect(fixture.temporaryFiles().isEmpty)
    }

    @Test func chunkedBodyOverTheRouteLimitIs413AndLeavesNothing() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let client = try RawClient(port: fixture.server.port)
        let chunk = Array("40000\r\n".utf8) + randomBytes(0x40000, seed: 1) + Array("\r\n".utf8)
        try client.send(Array("PUT /small/big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + chunk)
        // The temporary file exists while the body arrives; then the fifth chunk passes 1 MiB.
        try waitUntil { fixture.temporaryFiles().count == 1 }
        try client.send(chunk + chunk + chunk + chunk)
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.bodyText.hasPrefix("{\"error\":{\"code\":\"body-too-large\","))
        #expect(response.header("Connection") == "close")
        #expect(client.waitForClose())
        try waitUntil { fixture.temporaryFiles().isEmpty }
        #expect(fixture.log.handled == 0)
    }

    @Test func refusedAdmissionAnswersBeforeTheBodyWithoutContinue() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let refused = try RawClient(port: fixture.server.port)
        try refused.send("POST /guarded/secret HTTP/1.1\r\nHost: t\r\nX-Request-Id: req-7\r\nContent-Length: 1000000\r\n"
                         + "Expect: 100-continue\r\n\r\n")
        // A 100 Continue would be the first response read.
        let response = try refused.readResponse()
        #expect(response.status == 401)
        #expect(response.bodyText == "{\"error\":{\"code\":\"token-required\",\"message\":\"send a valid bearer token\"}}")
        #expect(response.header("Connection") == "close")
        #expect(response.header("X-Request-Id") == "req-7")
        #expect(refused.waitForClose())
        let admission = try #require(fixture.log.admissions.withLock { $0.first })
        #expect(admission.name == "secret")
        #expect(admission.bodyIsEmpty && admission.uploadIsNil)
        #expect(admission.requestId == "req-7")
        #expect(fixture.log.handled == 0)
        #expect(fixture.temporaryFiles().isEmpty)

        let admitted = try RawClient(port: fixture.server.port)
        try admitted.send("POST /guarded/open HTTP/1.1\r\nHost: t\r\nAuthorization: \(UploadFixture.token)\r\n"
                          + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        #expect(try admitted.readResponse().status == 100)
        try admitted.send("hello")
        let accepted = try admitted.readResponse()
        #expect(accepted.status == 200)
        #expect(accepted.bodyText == "5 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 body=0")
        #expect(fixture.log.handled == 1)
    }

    @Test func unusableDirectoryIs500BeforeTheBody() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let client = try RawClient(port: fixture.server.port)
        try client.send("POST /broken HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 500)
        #expect(response.bodyText.hasPrefix("{\"error\":{\"code\":\"upload-failed\",\"message\":\"cannot create the temporary file: Not a directory"),
                "\(response.bodyText)")
        #expect(response.header("Connection") == "close")
        #expect(client.waitForClose())
        #expect(fixture.log.handled == 0)
    }

    @Test func clientLeavingMidBodyLeavesNothing() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let client = try RawClient(port: fixture.server.port)
        try client.send(Array("POST /files/half HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n".utf8)
                        + randomBytes(5_000_000, seed: 2))
        try waitUntil { fixture.temporaryFiles().count == 1 }
        shutdown(client.fd, Int32(SHUT_RDWR))
        try waitUntil { fixture.temporaryFiles().isEmpty }
        #expect(fixture.log.handled == 0)
        #expect(try fixture.server.exchange("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n").bodyText == "pong")
    }

    @Test func malformedOrStalledBodiesLeaveNothing() throws {
        let fixture = try UploadFixture { $0.timeouts.bodyIdle = 0.4 }
        defer { fixture.stop() }
        let malformed = try RawClient(port: fixture.server.port)
        try malformed.send("POST /files/bad HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        try waitUntil { fixture.temporaryFiles().count == 1 }
        try malformed.send("3\r\nabcX")
        #expect(try malformed.readResponse().status == 400)
        #expect(fixture.temporaryFiles().isEmpty)

        let stalled = try RawClient(port: fixture.server.port)
        try stalled.send("POST /files/slow HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
        #expect(try stalled.readResponse().status == 408)
        #expect(fixture.temporaryFiles().isEmpty)
        #expect(fixture.log.handled == 0)
    }

    @Test func shutdownDuringAnUploadLeavesNothing() throws {
        let fixture = try UploadFixture { $0.drainTimeout = 0.3 }
        defer { fixture.stop() }
        let client = try RawClient(port: fixture.server.port)
        try client.send("POST /files/cut HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\nabc")
        try waitUntil { fixture.temporaryFiles().count == 1 }
        fixture.stop()
        #expect(fixture.temporaryFiles().isEmpty)
        #expect(client.waitForClose())
        #expect(fixture.log.handled == 0)
    }

    @Test func keepAliveCarriesTwoUploadsThenAGet() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let first = randomBytes(3_000_000, seed: 3)
        let second = randomBytes(2_500_000, seed: 4)
        let client = try RawClient(port: fixture.server.port)
        try client.send(Array("POST /files/one HTTP/1.1\r\nHost: t\r\nContent-Length: \(first.count)\r\n\r\n".utf8) + first)
        let one = try client.readResponse()
        #expect(one.status == 200)
        #expect(one.header("Connection") == nil)
        #expect(one.bodyText == "\(first.count) \(try sha256(first)) body=0")
        // The second upload, chunked, and a GET pipelined behind it.
        try client.send(Array("POST /files/two HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                        + chunked(second, size: 100_000) + Array("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
        let responses = try client.readResponses(2)
        #expect(responses.map(\.status) == [200, 200])
        #expect(responses[0].bodyText == "\(second.count) \(try sha256(second)) body=0")
        #expect(responses[1].bodyText == "pong")
        #expect(try fixture.keptSHA256("one") == (try sha256(first)))
        #expect(try fixture.keptSHA256("two") == (try sha256(second)))
        #expect(fixture.temporaryFiles().isEmpty)
    }

    @Test func residentMemoryDoesNotGrowWithTheBody() throws {
        let fixture = try UploadFixture()
        defer { fixture.stop() }
        let size = 300_000_000
        let block = [UInt8](repeating: 0, count: 1 << 20)
        let client = try RawClient(port: fixture.server.port, timeout: 30)
        let baseline = residentBytes()
        var peak = baseline
        try client.send("POST /measured HTTP/1.1\r\nHost: t\r\nContent-Length: \(size)\r\n\r\n")
        var sent = 0
        while sent < size {
            let count = min(block.count, size - sent)
            try client.send(count == block.count ? block : Array(block[0..<count]))
            sent += count
            if sent % (32 << 20) == 0 { peak = max(peak, residentBytes()) }
        }
        let response = try client.readResponse()
        let zeros = try Subprocess.run("/bin/sh", ["-c", "head -c \(size) /dev/zero | sha256sum"]).stdoutText.prefix(64)
        #expect(response.bodyText == "\(size) \(zeros)")
        let inHandler = fixture.log.residentInHandler.withLock { $0 }
        peak = max(peak, inHandler, residentBytes())
        let limit = 100 << 20
        #expect(inHandler > 0)
        #expect(peak - baseline < limit, "resident memory grew by \((peak - baseline) >> 20) MiB for a \(size >> 20) MiB body")
        print("streaming \(size >> 20) MiB grew the resident set by \((peak - baseline) >> 20) MiB at most")
        // The handler left the file: the server deleted it before answering.
        #expect(fixture.temporaryFiles().isEmpty)
    }
}
