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

extension FileHandle {
    /// The first chunk of output, waiting at most `seconds`.
    func availableDataWithin(seconds: Double) -> Data {
        let descriptor = fileDescriptor
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return Data() }
        return availableData
    }
}
