// Starts the service's real server on an ephemeral loopback port and fetches with curl.
import Foundation
import HTTP
import Logging
import TestSupport
@testable import Service

struct Fetched {
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
}

final class LiveService {
    let server: Server
    let dataDirectory: URL
    /// The match routes, whose inference queue a test can hold.
    let match: MatchRoutes
    /// The leaderboard's routes (nil when its database could not be opened).
    let leaderboard: LeaderboardRoutes?

    init(dataDirectory: URL? = nil, model: ModelHost = ModelHost(),
         configure: (inout ServiceConfiguration) -> Void = { _ in }) throws {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory.appending(path: "dpcl-data-\(UUID().uuidString)")
        if dataDirectory == nil { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        self.dataDirectory = directory
        var configuration = ServiceConfiguration()
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.accessLog = false
        configuration.dataDirectory = directory.path
        configure(&configuration)
        var logger = Logger(label: "test.service")
        logger.logLevel = .critical
        let parts = ServiceServer.make(configuration: configuration, logger: logger, model: model)
        (server, match, leaderboard) = (parts.server, parts.match, parts.leaderboard)
        try server.start()
    }

    func stop() {
        server.shutdown()
        server.waitUntilStopped()
        leaderboard?.jobs.stop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    /// GET with curl (headers via stderr); status, headers and body.
    func get(_ path: String, method: String = "GET") throws -> Fetched {
        try curl(["-X", method], path)
    }

    /// curl with `arguments` (for example `-F part=@file`) against `path`.
    func curl(_ arguments: [String], _ path: String, maxTime: Int = 60) throws -> Fetched {
        let result = try Subprocess.run("/usr/bin/curl", ["--silent", "--max-time", String(maxTime), "-D", "/dev/stderr"]
                                        + arguments + ["http://127.0.0.1:\(server.port)\(path)"])
        // Only the last response head counts (a 100 Continue may come first).
        let heads = result.stderrText.components(separatedBy: "\r\n\r\n").filter { $0.hasPrefix("HTTP/") }
        var lines = (heads.last ?? "").components(separatedBy: "\r\n")
        let status = lines.isEmpty ? 0 : Int(lines.removeFirst().split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Fetched(status: status, headers: headers, body: result.stdout)
    }
}

extension LiveService {
    /// A team created with the admin token; its token, nil when the server refused.
    func createTeam(_ name: String, admin: String) throws -> String? {
        let created = try curl(["-H", "Authorization: Bearer \(admin)", "-H", "Content-Type: application/json",
                                "--data", #"{"name": "\#(name)"}"#], "/v1/teams")
        return (try? JSONSerialization.jsonObject(with: created.body) as? [String: Any])?["token"] as? String
    }

    /// A misc-pairs/v1 ground truth added as a benchmark (the JSON body), with the admin token;
    /// `query` without `?`. The dev splits leak (each image is some pair's source), hence the
    /// default.
    func addBenchmark(_ truth: String, admin: String, query: String = "allow_leak=1") throws -> Fetched {
        try curl(["-H", "Authorization: Bearer \(admin)", "-H", "Content-Type: application/json", "--data-binary", "@\(truth)"],
                 "/v1/benchmarks" + (query.isEmpty ? "" : "?" + query))
    }
}
