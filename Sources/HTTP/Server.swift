// The listener: binds every address of the host, accepts on non-blocking sockets from a
// Dispatch read source, spreads connections over event loops, and shuts down gracefully.
@preconcurrency import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let metrics: ServerMetrics
    let context: ServerContext
    private let loops: [EventLoop]
    /// Serialises the listener state below.
    private let acceptQueue = DispatchQueue(label: "http-accept")
    private var listeners: [(fd: Int32, source: DispatchSourceRead)] = []
    private var acceptSuspended: Set<Int32> = []
    private var nextLoop = 0
    private var stopped = false
    private var signalSources: [DispatchSourceSignal] = []
    private let finished = DispatchSemaphore(value: 0)
    public private(set) var addresses: [BoundAddress] = []

    public init(configuration: ServerConfiguration, router: Router, logger: Logger, metrics: ServerMetrics = ServerMetrics()) {
        self.configuration = configuration
        self.metrics = metrics
        let executor = BoundedExecutor(workers: configuration.workers, capacity: configuration.queueCapacity) { depth in
            metrics.queueDepth.set(Double(depth))
        }
        context = ServerContext(configuration: configuration, router: router, executor: executor, metrics: metrics, logger: logger)
        let loopCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
        loops = (0..<loopCount).map { EventLoop(index: $0) }
    }

    /// The port of the first bound address (the chosen one when configured with 0).
    public var port: Int { addresses.first?.port ?? configuration.port }

    /// True from the moment shutdown begins: readiness should then answer 503.
    public var isDraining: Bool { context.isDraining }

    /// Open client connections right now.
    public var openConnections: Int { context.openConnections.load(ordering: .relaxed) }

    /// Binds and starts accepting. SIGPIPE is ignored from here on: a peer that goes away
    /// mid-write must be an EPIPE, not the end of the process.
    @discardableResult
    public func start() throws(ServerError) -> [BoundAddress] {
        signal(SIGPIPE, SIG_IGN)
        guard loops.allSatisfy(\.isUsable) else {
            throw .resources(reason: "cannot create an epoll set: \(Socket.errorText())")
        }
        let bound = try Socket.listen(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        addresses = bound.map(\.address)
        acceptQueue.sync {
            for (fd, _) in bound {
                let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue)
                source.setEventHandler { [weak self] in self?.acceptAll(fd) }
                source.setCancelHandler { Glibc.close(fd) }
                listeners.append((fd, source))
                source.activate()
            }
        }
        return addresses
    }

    private func acceptAll(_ listener: Int32) {
        for _ in 0..<128 {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    backOff(listener)
                    return
                default:
                    return
                }
            }
            admit(fd, client: Socket.describe(peer).host)
        }
    }

    /// Out of descriptors: stop accepting for a moment instead of spinning on the error.
    private func backOff(_ listener: Int32) {
        guard let source = listeners.first(where: { $0.fd == listener })?.source, !acceptSuspended.contains(listener) else { return }
        context.logger.warning("accept: out of file descriptors; pausing accept for 100 ms")
        acceptSuspended.insert(listener)
        source.suspend()
        acceptQueue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
            guard acceptSuspended.remove(listener) != nil else { return }
            source.resume()
        }
    }

    private func admit(_ fd: Int32, client: String) {
        Socket.setNonBlocking(fd)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        Socket.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        let open = context.openConnections.add(1, ordering: .relaxed).newValue
        metrics.openConnections.set(Double(open))
        let cap = configuration.maxConnections
        if open > cap + 64 {
            // Far beyond the cap even rejecting politely costs too much.
            Glibc.close(fd)
            context.connectionClosed()
            return
        }
        let loop = loops[nextLoop]
        nextLoop = (nextLoop + 1) % loops.count
        let connection = Connection(fd: fd, loop: loop, context: context, clientAddress: client)
        let seconds = configuration.retryAfterSeconds
        let reject: Response? = open <= cap && !stopped ? nil : Response.error(.serviceUnavailable, code: "too-many-connections",
                                    message: "the server has \(cap) open connections; retry in \(seconds) s",
                                    headers: Headers([("Retry-After", String(seconds))]))
        loop.queue.async { connection.start(reject: reject) }
    }

    /// Graceful shutdown: readiness turns 503, after `shutdownDelay` accepting stops, idle
    /// connections close, in-flight requests get `drainTimeout` to finish; then the rest close.
    public func shutdown(completion: (@Sendable () -> Void)? = nil) {
        guard !context.isDraining else { return }
        context.beginDraining()
        context.logger.info("shutting down: draining connections", metadata: ["open": .stringConvertible(openConnections)])
        acceptQueue.asyncAfter(deadline: .now() + configuration.shutdownDelay) { [self] in
            stopped = true
            for (fd, source) in listeners {
                if acceptSuspended.remove(fd) != nil { source.resume() }
                source.cancel()
            }
            listeners.removeAll()
            for loop in loops {
                loop.queue.async { for connection in loop.connections.values { connection.drain() } }
            }
            waitForDrain(until: DispatchTime.now() + configuration.drainTimeout, completion: completion)
        }
    }

    private func waitForDrain(until limit: DispatchTime, completion: (@Sendable () -> Void)?) {
        if openConnections == 0 || DispatchTime.now() >= limit {
            for loop in loops {
                loop.queue.sync {
                    for connection in loop.connections.values { connection.close() }
                }
            }
            context.executor.shutdown()
            context.logger.info("shutdown complete")
            completion?()
            finished.signal()
            return
        }
        acceptQueue.asyncAfter(deadline: .now() + .milliseconds(20)) { [self] in
            waitForDrain(until: limit, completion: completion)
        }
    }

    /// Blocks until a shutdown (from `shutdown()` or a signal) has finished.
    public func waitUntilStopped() {
        finished.wait()
        finished.signal()
    }

    /// Installs SIGTERM and SIGINT handlers that start a graceful shutdown. Call it before
    /// `start()`: libdispatch arms signal sources with a descriptor of their own, which must
    /// not be left to a moment when clients may have taken every descriptor. Works as PID 1
    /// too: the handlers are installed explicitly.
    public func handleTerminationSignals() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                context.logger.info("received signal \(number)")
                shutdown()
            }
            source.activate()
            acceptQueue.sync { signalSources.append(source) }
        }
    }

    /// Blocks until a shutdown (from `shutdown()` or a signal) has finished.
    public func runUntilStopped() {
        waitUntilStopped()
        acceptQueue.sync {
            for source in signalSources { source.cancel() }
            signalSources.removeAll()
        }
    }
}
