// Everything a `Server` can be told: where to listen, limits, deadlines, capacity, shutdown.
import Foundation

public struct ServerConfiguration: Sendable, Equatable {
    /// Host name or address to bind; every address it resolves to is bound (IPv4 and IPv6).
    public var host: String = "127.0.0.1"
    /// TCP port; 0 asks the kernel for a free one (see `Server.start()`'s result).
    public var port: Int = 8080
    public var limits = Limits()
    public var timeouts = Timeouts()
    /// Open connections beyond which new ones get 503 and are closed. Default 1024.
    public var maxConnections: Int = 1024
    /// Threads of the CPU executor. Default: the number of cores.
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Jobs that may wait for a worker; beyond it: 503 with Retry-After. Default 64.
    public var queueCapacity: Int = 64
    /// Seconds announced in Retry-After when the executor or the connection cap is full.
    public var retryAfterSeconds: Int = 1
    /// After SIGTERM/SIGINT: seconds in-flight requests get to finish. Default 10.
    public var drainTimeout: Double = 10
    /// After SIGTERM/SIGINT: seconds readiness reports 503 while still accepting, so a load
    /// balancer can stop sending traffic first. Default 0.
    public var shutdownDelay: Double = 0
    /// One log line per request (swift-log, level info). Default on.
    public var accessLog: Bool = true
    /// listen(2) backlog. Default 511.
    public var backlog: Int32 = 511

    public init() {}
}

public enum ServerError: Error, Sendable, CustomStringConvertible {
    case resolve(host: String, reason: String)
    case bind(address: String, reason: String)
    case resources(reason: String)

    public var description: String {
        switch self {
        case .resolve(let host, let reason): "cannot resolve host \(host): \(reason)"
        case .bind(let address, let reason): "cannot listen on \(address): \(reason)"
        case .resources(let reason): "cannot start the server: \(reason)"
        }
    }
}
