// Prometheus metrics of the server (swift-prometheus): requests by route template and
// status, duration histogram, in-flight requests, executor queue depth, open connections.
import Prometheus
import Synchronization

public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let inFlight: Gauge
    let queueDepth: Gauge
    let openConnections: Gauge
    private let inFlightValue = Atomic<Int>(0)
    private let counters = Locked<[CounterKey: Counter]>([:])

    struct CounterKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    private let histograms = Locked<[String: DurationHistogram]>([:])

    /// Duration histogram buckets, 100 µs to 10 s: wide enough for any route's work.
    public static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        inFlight = registry.makeGauge(descriptor: .init(metricName: "http_requests_in_flight", unitName: "",
            helpText: "Requests being handled"))
        queueDepth = registry.makeGauge(descriptor: .init(metricName: "http_executor_queue_depth", unitName: "",
            helpText: "Jobs waiting for a worker of the CPU executor"))
        openConnections = registry.makeGauge(descriptor: .init(metricName: "http_open_connections", unitName: "",
            helpText: "Open client connections"))
    }

    func requestStarted() {
        inFlight.increment()
        inFlightValue.add(1, ordering: .relaxed)
    }

    func requestFinished() {
        inFlight.decrement()
        inFlightValue.subtract(1, ordering: .relaxed)
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        let key = CounterKey(route: route, method: method, status: status)
        let counter = counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "Requests answered"),
                labels: [("route", route), ("method", method), ("status", String(status))])
            cache[key] = counter
            return counter
        }
        counter.increment()
        let histogram = histograms.withLock { cache in
            if let histogram = cache[route] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: .init(metricName: "http_request_duration", unitName: "seconds", helpText: "Time from parsed request to queued response"),
                labels: [("route", route)], buckets: Self.buckets)
            cache[route] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    /// Requests being handled right now (the in-flight gauge's value).
    public var inFlightCount: Int { inFlightValue.load(ordering: .relaxed) }

    /// The Prometheus text exposition format (version 0.0.4).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
