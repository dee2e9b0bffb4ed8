// `dpcl serve`: runs the HTTP service until SIGTERM/SIGINT, then drains and exits 0.
import ArgumentParser
import Foundation
import HTTP
import Logging
import Service

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API: the matcher (POST /v1/match), models, health, readiness, metrics, OpenAPI document, version."
    )

    @Option(help: "Address or host name to listen on (all its addresses, IPv4 and IPv6).")
    var host: String?

    @Option(help: "TCP port; 0 picks a free one (printed on start).")
    var port: Int?

    @Option(help: "YAML config file; flags override it, it overrides the built-in defaults.")
    var config: String = "Config/server.yaml"

    @Option(name: .customLong("data-dir"), help: "Folder for the service's state.")
    var dataDir: String?

    @Option(help: "Model config of the matcher (overrides inference.model_config; 'none' serves no model).")
    var modelConfig: String?

    @Option(help: "Directory of the weight files (overrides inference.model_dir).")
    var modelDir: String?

    @Option(help: "What this process serves: all (default), inference (no database: scale it out) or leaderboard (no model).")
    var role: String?

    @Option(name: .customLong("examples-dir"), help: "A folder of misc-pairs/v1 splits whose first pairs the match page offers (overrides examples_dir).")
    var examplesDir: String?

    func run() throws {
        var settings = ServiceConfiguration()
        // The default config path is optional (the binary may run elsewhere); a named one is not.
        let configGiven = CommandLine.arguments.contains { $0 == "--config" || $0.hasPrefix("--config=") }
        if configGiven || FileManager.default.fileExists(atPath: config) {
            do { try settings.apply(file: config) } catch { throw ValidationError(error.description) }
        }
        if let host { settings.server.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
            settings.server.port = port
        }
        if let dataDir { settings.dataDirectory = dataDir }
        if let modelConfig { settings.inference.modelConfig = modelConfig == "none" ? nil : modelConfig }
        if let modelDir { settings.inference.modelDirectory = modelDir }
        if let examplesDir { settings.examplesDirectory = examplesDir }
        if let role {
            guard let value = ServiceRole(rawValue: role) else { throw ValidationError("--role must be all, inference or leaderboard") }
            settings.role = value
        }
        do { settings.leaderboard = try settings.leaderboard.applyingEnvironment() } catch { throw ValidationError(error.description) }
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "dpcl.http")
        try? FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let service = ServiceServer.make(configuration: settings, logger: logger)
        let server = service.server
        server.handleTerminationSignals()
        let addresses: [BoundAddress]
        do { addresses = try server.start() } catch { throw ValidationError(error.description) }
        for address in addresses {
            print("listening on http://\(address) port \(address.port)")
        }
        fflush(nil)
        server.runUntilStopped()
        service.finish()
        // Drained: every answer is sent, every acknowledged submission committed and the WAL
        // checkpointed. Leave
        // without running the C libraries' exit-time destructors: OpenBLAS frees its buffers
        // there, under a model warm-up or an evaluation that may still be running on another
        // thread (a crash on SIGTERM during start-up otherwise).
        fflush(nil)
        _exit(0)
    }
}
