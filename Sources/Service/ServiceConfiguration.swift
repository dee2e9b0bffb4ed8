// Settings of `dpcl serve`: built-in defaults, overridden by the YAML config file, overridden
// by command-line flags. The file's keys mirror Config/server.yaml one to one.
import Foundation
import HTTP
import Logging
import Yams

public struct ServiceConfiguration: Sendable, Equatable {
    public var server = ServerConfiguration()
    /// Where the service keeps its state; readiness fails when it is not a writable folder.
    public var dataDirectory = "var"
    public var role = ServiceRole.all
    public var logLevel = Logger.Level.info
    public var inference = InferenceConfiguration()
    public var leaderboard = LeaderboardConfiguration()
    /// Label Studio instances the ML backend (/label-studio/...) may fetch task images from:
    /// origins such as `http://127.0.0.1:8081`; none: the backend fetches nothing.
    public var labelStudioHosts: [String] = []
    /// A folder of misc-pairs/v1 splits (`<split>/pairs.json` and its images) whose first
    /// pairs the match page offers as examples; nil: none.
    public var examplesDirectory: String?

    public init() {}

    /// Applies the YAML document over the current values; keys left out keep theirs. A
    /// relative `inference.model_config` is taken relative to `baseDirectory` when given.
    public mutating func apply(yaml text: String, source: String, baseDirectory: String? = nil) throws(ConfigError) {
        let file: ConfigFile
        do {
            file = try YAMLDecoder().decode(ConfigFile.self, from: text)
        } catch let error as DecodingError {
            throw .invalid(source: source, reason: Self.describe(error))
        } catch {
            throw .invalid(source: source, reason: "\(error)")
        }
        try file.apply(to: &self, source: source)
        if let baseDirectory, let examples = file.examples_dir, !examples.isEmpty, !examples.hasPrefix("/") {
            examplesDirectory = URL(fileURLWithPath: baseDirectory).appendingPathComponent(examples).standardized.path
        }
        if let baseDirectory, let model = file.inference?.model_config, !model.isEmpty, !model.hasPrefix("/") {
            inference.modelConfig = URL(fileURLWithPath: baseDirectory).appendingPathComponent(model).standardized.path
        }
    }

    public mutating func apply(file path: String) throws(ConfigError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        try apply(yaml: text, source: path, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(_, let context): return "\(path(context)): missing value"
        case .keyNotFound(let key, _): return "missing key \(key.stringValue)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

public enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(source: String, reason: String)
    case outOfRange(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read config file \(path): \(reason)"
        case .invalid(let source, let reason): "config \(source) is not valid: \(reason)"
        case .outOfRange(let key, let value, let expected): "config key \(key) = \(value): expected \(expected)"
        }
    }
}

/// The shape of Config/server.yaml; every key optional.
struct ConfigFile: Decodable {
    struct Server: Decodable {
        var host: String?
        var port: Int?
        var max_connections: Int?
        var workers: Int?
        var queue_capacity: Int?
        var retry_after_seconds: Int?
        var drain_timeout_seconds: Double?
        var shutdown_delay_seconds: Double?
        var access_log: Bool?
        var log_level: String?
    }
    struct Limits: Decodable {
        var max_request_line_bytes: Int?
        var max_header_bytes: Int?
        var max_header_count: Int?
        var max_body_bytes: Int?
        var max_chunk_line_bytes: Int?
        var max_pipelined_requests: Int?
    }
    struct Timeouts: Decodable {
        var head_seconds: Double?
        var body_idle_seconds: Double?
        var keep_alive_idle_seconds: Double?
        var write_seconds: Double?
        var linger_seconds: Double?
    }
    struct Inference: Decodable {
        var model_config: String?
        var model_dir: String?
        var workers: Int?
        var queue_capacity: Int?
        var retry_after_seconds: Int?
        var max_image_pixels: Int?
        var max_reference_sets: Int?
        var max_reference_set_bytes: Int?
        var warmup: Bool?
    }
    var server: Server?
    var limits: Limits?
    var timeouts: Timeouts?
    struct Leaderboard: Decodable {
        var admin_token: String?
        var submission_quota: Int?
        var max_submission_bytes: Int?
        var max_upload_bytes: Int?
        var evaluation_workers: Int?
        var max_failed_auth_per_minute: Int?
    }
    var inference: Inference?
    var leaderboard: Leaderboard?
    var data_dir: String?
    var examples_dir: String?
    struct LabelStudio: Decodable {
        var hosts: [String]?
    }
    var label_studio: LabelStudio?
    var role: String?

    func apply(to config: inout ServiceConfiguration, source: String) throws(ConfigError) {
        func positive(_ key: String, _ value: Int?, into target: inout Int) throws(ConfigError) {
            guard let value else { return }
            guard value > 0 else { throw .outOfRange(key: key, value: String(value), expected: "a positive integer") }
            target = value
        }
        func seconds(_ key: String, _ value: Double?, into target: inout Double) throws(ConfigError) {
            guard let value else { return }
            guard value >= 0, value.isFinite else { throw .outOfRange(key: key, value: String(value), expected: "seconds >= 0") }
            target = value
        }
        if let server {
            if let host = server.host { config.server.host = host }
            if let port = server.port {
                guard (0...65535).contains(port) else { throw .outOfRange(key: "server.port", value: String(port), expected: "0...65535") }
                config.server.port = port
            }
            try positive("server.max_connections", server.max_connections, into: &config.server.maxConnections)
            if let workers = server.workers {
                guard workers >= 0 else { throw .outOfRange(key: "server.workers", value: String(workers), expected: ">= 0 (0: one per core)") }
                config.server.workers = workers == 0 ? ProcessInfo.processInfo.activeProcessorCount : workers
            }
            try positive("server.queue_capacity", server.queue_capacity, into: &config.server.queueCapacity)
            try positive("server.retry_after_seconds", server.retry_after_seconds, into: &config.server.retryAfterSeconds)
            try seconds("server.drain_timeout_seconds", server.drain_timeout_seconds, into: &config.server.drainTimeout)
            try seconds("server.shutdown_delay_seconds", server.shutdown_delay_seconds, into: &config.server.shutdownDelay)
            if let value = server.access_log { config.server.accessLog = value }
            if let value = server.log_level {
                guard let level = Logger.Level(rawValue: value) else {
                    throw .outOfRange(key: "server.log_level", value: value,
                                      expected: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
                }
                config.logLevel = level
            }
        }
        if let limits {
            try positive("limits.max_request_line_bytes", limits.max_request_line_bytes, into: &config.server.limits.maxRequestLineBytes)
            try positive("limits.max_header_bytes", limits.max_header_bytes, into: &config.server.limits.maxHeaderBytes)
            try positive("limits.max_header_count", limits.max_header_count, into: &config.server.limits.maxHeaderCount)
            try positive("limits.max_body_bytes", limits.max_body_bytes, into: &config.server.limits.maxBodyBytes)
            try positive("limits.max_chunk_line_bytes", limits.max_chunk_line_bytes, into: &config.server.limits.maxChunkLineBytes)
            try positive("limits.max_pipelined_requests", limits.max_pipelined_requests, into: &config.server.limits.maxPipelinedRequests)
        }
        if let timeouts {
            try seconds("timeouts.head_seconds", timeouts.head_seconds, into: &config.server.timeouts.head)
            try seconds("timeouts.body_idle_seconds", timeouts.body_idle_seconds, into: &config.server.timeouts.bodyIdle)
            try seconds("timeouts.keep_alive_idle_seconds", timeouts.keep_alive_idle_seconds, into: &config.server.timeouts.keepAliveIdle)
            try seconds("timeouts.write_seconds", timeouts.write_seconds, into: &config.server.timeouts.write)
            try seconds("timeouts.linger_seconds", timeouts.linger_seconds, into: &config.server.timeouts.linger)
        }
        if let inference {
            if let path = inference.model_config { config.inference.modelConfig = path.isEmpty ? nil : path }
            if let path = inference.model_dir { config.inference.modelDirectory = path.isEmpty ? nil : path }
            try positive("inference.workers", inference.workers, into: &config.inference.workers)
            try positive("inference.queue_capacity", inference.queue_capacity, into: &config.inference.queueCapacity)
            try positive("inference.retry_after_seconds", inference.retry_after_seconds, into: &config.inference.retryAfterSeconds)
            try positive("inference.max_image_pixels", inference.max_image_pixels, into: &config.inference.maxImagePixels)
            try positive("inference.max_reference_sets", inference.max_reference_sets, into: &config.inference.maxReferenceSets)
            try positive("inference.max_reference_set_bytes", inference.max_reference_set_bytes,
                         into: &config.inference.maxReferenceSetBytes)
            if let warmup = inference.warmup { config.inference.warmup = warmup }
        }
        if let leaderboard {
            if let token = leaderboard.admin_token { config.leaderboard.adminToken = token.isEmpty ? nil : token }
            if let quota = leaderboard.submission_quota {
                guard quota >= 0 else { throw .outOfRange(key: "leaderboard.submission_quota", value: String(quota), expected: ">= 0 (0: no limit)") }
                config.leaderboard.submissionQuota = quota
            }
            try positive("leaderboard.max_submission_bytes", leaderboard.max_submission_bytes, into: &config.leaderboard.maxSubmissionBytes)
            try positive("leaderboard.max_upload_bytes", leaderboard.max_upload_bytes, into: &config.leaderboard.maxUploadBytes)
            try positive("leaderboard.evaluation_workers", leaderboard.evaluation_workers, into: &config.leaderboard.evaluationWorkers)
            try positive("leaderboard.max_failed_auth_per_minute", leaderboard.max_failed_auth_per_minute,
                         into: &config.leaderboard.maxFailedAuthPerMinute)
        }
        if let dataDir = data_dir { config.dataDirectory = dataDir }
        if let role {
            guard let value = ServiceRole(rawValue: role) else {
                throw .outOfRange(key: "role", value: role, expected: ServiceRole.allCases.map(\.rawValue).joined(separator: ", "))
            }
            config.role = value
        }
        if let examples = examples_dir { config.examplesDirectory = examples.isEmpty ? nil : examples }
        if let hosts = label_studio?.hosts {
            for host in hosts where URL(string: host).flatMap(LabelStudioClient.origin) == nil {
                throw .outOfRange(key: "label_studio.hosts", value: host, expected: "http(s)://host[:port] origins")
            }
            config.labelStudioHosts = hosts
        }
    }
}
