// The built `dpcl` binary: `dpcl serve --port 0` prints its port, serves, and on SIGTERM
// drains and exits 0 (the path a container's PID 1 takes).
import Foundation
import Testing

@Suite struct ServeCommandTests {
    /// The executable sits beside the test bundle in the build folder.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "dpcl")
    }

    @Test func servesThenExitsZeroOnSIGTERM() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build dpcl first: \(Self.binary.path)")
        let data = FileManager.default.temporaryDirectory.appending(path: "dpcl-serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data.path,
                             "--config", Repository.root.appending(path: "Config/server.yaml").path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let line = String(decoding: out.fileHandleForReading.availableDataWithin(seconds: 10), as: UTF8.self)
        let port = line.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(line.hasPrefix("listening on http://127.0.0.1:"), "\(line)")
        guard let port else { return }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["--silent", "--max-time", "5", "http://127.0.0.1:\(port)/readyz"]
        let body = Pipe()
        curl.standardOutput = body
        try curl.run()
        curl.waitUntilExit()
        #expect(String(decoding: body.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "{\"status\":\"ready\"}")
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}

extension ServeCommandTests {
    /// With only 40 descriptors, 60 clients exhaust accept(2) (EMFILE): the server must back
    /// off instead of spinning or dying, and serve again once clients leave.
    @Test func survivesRunningOutOfDescriptors() throws {
        let data = FileManager.default.temporaryDirectory.appending(path: "dpcl-emfile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "ulimit -n 40 && exec \"$0\" serve --port 0 --data-dir \"$1\" --config \"$2\"",
                             Self.binary.path, data.path, Repository.root.appending(path: "Config/server.yaml").path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let line = String(decoding: out.fileHandleForReading.availableDataWithin(seconds: 10), as: UTF8.self)
        guard let port = line.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            Issue.record("no port in \(line)")
            return
        }
        var clients: [Int32] = []
        for _ in 0..<60 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port)).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            clients.append(fd)
        }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(process.isRunning)
        for fd in clients { close(fd) }
        // Once descriptors are free again the server answers.
        var status = ""
        for _ in 0..<30 where status != "200" {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["--silent", "--max-time", "2", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/healthz"]
            let body = Pipe()
            curl.standardOutput = body
            try curl.run()
            curl.waitUntilExit()
            status = String(decoding: body.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if status != "200" { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(status == "200")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

extension FileHandle {
    /// The first chunk of output, waiting at most `seconds`.
    func availableDataWithin(seconds: Double) -> Data {
        let descriptor = fileDescriptor
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return Data() }
        return availableData
    }
}
