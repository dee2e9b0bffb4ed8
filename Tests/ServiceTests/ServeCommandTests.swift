// The built `dpcl` binary: `dpcl serve --port 0` prints its port, serves, and on SIGTERM
// drains and exits 0 (the path a container's PID 1 takes); it survives running out of
// descriptors.
import Foundation
import TestSupport
import Testing

@Suite struct ServeCommandTests {
    static var binary: String { Repository.builtProduct("dpcl") }

    static var config: String { Repository.root.appending(path: "Config/server.yaml").path }

    static func port(in line: String) -> Int? {
        line.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func curl(_ arguments: [String]) throws -> String {
        try Subprocess.run("/usr/bin/curl", ["--silent"] + arguments).stdoutText
    }

    @Test func servesThenExitsZeroOnSIGTERM() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build dpcl first: \(Self.binary)")
        let data = FileManager.default.temporaryDirectory.appending(path: "dpcl-serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let server = try Subprocess.start(Self.binary, ["serve", "--host", "127.0.0.1", "--port", "0",
                                                        "--data-dir", data.path, "--config", Self.config])
        let line = server.firstOutput(seconds: 10)
        #expect(line.hasPrefix("listening on http://127.0.0.1:"), "\(line)")
        guard let port = Self.port(in: line) else { return }
        // Ready once the default model (Config/server.yaml names it, relative to the file)
        // has loaded and run its warm-up pair.
        let readyBody = "{\"role\":\"all\",\"status\":\"ready\"}"
        var ready = ""
        for _ in 0..<300 where ready != readyBody {
            ready = try Self.curl(["--max-time", "5", "http://127.0.0.1:\(port)/readyz"])
            if ready != readyBody { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(ready == readyBody)
        #expect(try Self.curl(["--max-time", "5", "http://127.0.0.1:\(port)/v1/models"]).contains("\"name\":\"dinov2-small\""))
        // A write to the leaderboard's database, then SIGTERM: exit 0 with the WAL folded in.
        #expect(try Self.curl(["--max-time", "5", "http://127.0.0.1:\(port)/v1/benchmarks"]).contains("\"benchmarks\""))
        let wal = data.appending(path: "leaderboard.sqlite-wal").path
        #expect(((try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0) > 0, "the migration wrote to the WAL")
        kill(server.pid, SIGTERM)
        #expect(server.wait(seconds: 5) == 0, "server ended with \(server.ending)")
        #expect(((try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0) == 0, "the WAL is checkpointed at exit")
    }

    /// With only 40 descriptors, 60 clients exhaust accept(2) (EMFILE): the server must back
    /// off instead of spinning or dying, and serve again once clients leave.
    @Test func survivesRunningOutOfDescriptors() throws {
        let data = FileManager.default.temporaryDirectory.appending(path: "dpcl-emfile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        // Descriptors inherited from the test runner are closed first: the 40 must be the
        // server's own.
        let script = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done 2>/dev/null; "
            + "ulimit -n 40 && exec \"$0\" serve --port 0 --data-dir \"$1\" --config \"$2\""
        let server = try Subprocess.start("/bin/bash", ["-c", script, Self.binary, data.path, Self.config])
        let line = server.firstOutput(seconds: 10)
        guard let port = Self.port(in: line) else {
            Issue.record("no port in \(line)")
            return
        }
        var clients: [Int32] = []
        for _ in 0..<60 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            _ = Loopback.connect(fd, port: port)
            clients.append(fd)
        }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(server.isRunning)
        for fd in clients { close(fd) }
        // Once descriptors are free again the server answers.
        var status = ""
        for _ in 0..<20 where status != "200" {
            status = try Self.curl(["--max-time", "0.5", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/healthz"])
            if status != "200" { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(status == "200")
        kill(server.pid, SIGTERM)
        let code = server.wait(seconds: 5)
        if code == nil {
            let diag = try Subprocess.run("/bin/sh", ["-c", "ls -l /proc/\(server.pid)/fd; ss -tnp | grep \(port); cat /proc/\(server.pid)/status | grep -i state"])
            print("server still running 5 s after SIGTERM; its descriptors and sockets:\n\(diag.stdoutText)")
        }
        #expect(code == 0, "server ended with \(server.ending)")
    }
}
