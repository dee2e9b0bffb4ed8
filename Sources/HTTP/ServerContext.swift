// What every connection of one server shares: router, executor, metrics, logger, settings
// and the draining flag.
import Logging
import Synchronization

final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let executor: BoundedExecutor
    let metrics: ServerMetrics
    let logger: Logger
    private let drainingFlag = Atomic<Bool>(false)
    let openConnections = Atomic<Int>(0)
    let requestIds = RequestIdGenerator()

    init(configuration: ServerConfiguration, router: Router, executor: BoundedExecutor, metrics: ServerMetrics, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.executor = executor
        self.metrics = metrics
        self.logger = logger
    }

    var isDraining: Bool { drainingFlag.load(ordering: .relaxed) }

    func beginDraining() { drainingFlag.store(true, ordering: .relaxed) }

    func connectionClosed() {
        let open = openConnections.subtract(1, ordering: .relaxed).newValue
        metrics.openConnections.set(Double(open))
    }
}

/// Request ids: the client's `X-Request-Id` when it is short and plain, else a process-unique
/// id (random prefix + counter), so ids are cheap and never collide within a process.
final class RequestIdGenerator: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        prefix = String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
    }

    func next() -> String {
        let value = counter.add(1, ordering: .relaxed).newValue
        return prefix + "-" + String(value, radix: 16).leftPadded(to: 8)
    }

    func id(for headers: Headers) -> String {
        if let given = headers["X-Request-Id"], !given.isEmpty, given.utf8.count <= 128,
           given.utf8.allSatisfy({ ASCII.isToken($0) }) {
            return given
        }
        return next()
    }
}
