// POST /v1/match and GET /v1/models: a pair is parsed and decoded on the HTTP executor,
// then matched on the inference queue (its own workers and bound); a full queue answers
// 503 with Retry-After, and a job whose client has gone is dropped before it starts.
import Foundation
import HTTP
import Imaging
import Matching
import Prometheus
import Tensor

struct MatchRoutes: Sendable {
    let host: ModelHost
    let queue: BoundedExecutor
    let configuration: InferenceConfiguration
    let metrics: InferenceMetrics

    init(host: ModelHost, configuration: InferenceConfiguration, registry: PrometheusCollectorRegistry) {
        self.host = host
        self.configuration = configuration
        let metrics = InferenceMetrics(registry: registry)
        self.metrics = metrics
        queue = BoundedExecutor(workers: configuration.workers, capacity: configuration.queueCapacity) { depth in
            metrics.queueDepth.set(Double(depth))
        }
    }

    /// The routes `register` adds (for the other role's hints).
    static let templates: [(method: String, template: String)] = [("POST", "/v1/match"), ("GET", "/v1/models")]

    func register(_ router: inout Router) {
        router.postDeferred("/v1/match") { request, responder in try match(request, responder) }
        router.get("/v1/models") { _ in try models() }
    }

    /// The matcher when it is ready, else the 503 that says why not.
    func readyMatcher() throws(HTTPError) -> (Matcher, ModelHost.Warmup) {
        switch host.state {
        case .ready(let matcher, let warmup): return (matcher, warmup)
        case .loading:
            throw HTTPError(.serviceUnavailable, code: "model-loading", message: "the model is loading; retry shortly",
                            headers: ["Retry-After": String(configuration.retryAfterSeconds)])
        case .failed(let reason):
            throw HTTPError(.serviceUnavailable, code: "model-unavailable", message: "the model failed to load: \(reason)")
        case .none:
            throw HTTPError(.serviceUnavailable, code: "model-unavailable", message: "this service runs without a model (inference.model_config)")
        }
    }

    private func match(_ request: Request, _ responder: Responder) throws {
        let received = ContinuousClock.now
        let (matcher, _) = try readyMatcher()
        let parsed = try MatchRequestParser(request: request, maxImagePixels: configuration.maxImagePixels).parse()
        try checkOptions(parsed.options, matcher)
        let decoded = ContinuousClock.now
        let decodeTime = decoded - received
        let wantsPNG = request.query["format"] == "png"
            || (request.headers["Accept"].map { $0.contains("image/png") } ?? false)
        try enqueue(responder, what: "pair") { started in
            let report = try matcher.match(parsed.pair, options: parsed.options)
            let wait = started - decoded
            metrics.record(report.timings, decode: decodeTime, wait: wait)
            return try wantsPNG
                ? Response.bytes(try MatchPicture.of(report.prediction, input: parsed.pair.input).png(), contentType: "image/png")
                : Response.json(MatchAnswer(model: matcher.name, report: report, decode: decodeTime, wait: wait))
        }
    }

    /// The request's options checked against the model before the work is queued.
    func checkOptions(_ options: MatchOptions, _ matcher: Matcher) throws(HTTPError) {
        do {
            _ = try matcher.settings(options)
        } catch {
            throw HTTPError(.badRequest, code: "invalid-options", message: error.description)
        }
    }

    /// Runs `work` on the inference queue and answers with what it returns. A job whose client
    /// has gone is dropped before it starts; an input error is a 400 with its code, any other
    /// error a 500; a full queue is a 503 with Retry-After at once. `started` is when the job
    /// left the queue.
    func enqueue(_ responder: Responder, what: String,
                 _ work: @escaping @Sendable (_ started: ContinuousClock.Instant) throws -> Response) throws(HTTPError) {
        let accepted = queue.trySubmit { [metrics] in
            let started = ContinuousClock.now
            guard !responder.isClientGone else {
                metrics.dropped.increment()
                // Answered all the same, so the connection's slot is freed; nobody reads it
                // (499: nginx's "client closed request", for the access log).
                responder.respond(Response.error(Status(499), code: "client-gone",
                                                 message: "the client closed the connection before the \(what) started"))
                return
            }
            let response: Response
            do {
                response = try work(started)
            } catch let error as MatchInputError {
                response = HTTPError(.badRequest, code: error.code, message: error.description).response
            } catch let error as HTTPError {
                response = error.response
            } catch {
                response = Response.error(.internalServerError, code: "internal", message: "the \(what) failed: \(error)")
            }
            responder.respond(response)
        }
        guard accepted else {
            metrics.rejected.increment()
            throw HTTPError(.serviceUnavailable, code: "overloaded",
                            message: "the inference queue is full (\(configuration.queueCapacity) waiting); retry in \(configuration.retryAfterSeconds) s",
                            headers: ["Retry-After": String(configuration.retryAfterSeconds)])
        }
    }

    private func models() throws -> Response {
        let (matcher, warmup) = try readyMatcher()
        return try Response.json(ModelsAnswer(models: [ModelsAnswer.Model(
            name: matcher.name, backbone: matcher.model.config, precision: matcher.model.precision, matcher: matcher.config,
            inputLongSide: matcher.config.longSide, patchSize: matcher.model.config.patchSize,
            forwardMilliseconds: warmup.forwardMilliseconds, warmupPairMilliseconds: warmup.pairMilliseconds,
            limits: .init(maxImagePixels: configuration.maxImagePixels, maxInputSide: Matcher.maxInputSide,
                          queueCapacity: configuration.queueCapacity, workers: configuration.workers))]))
    }
}

/// Inference metrics beside the server's: queue depth, rejected and dropped pairs, and a
/// time histogram per pipeline stage.
final class InferenceMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let queueDepth: Gauge
    let rejected: Counter
    let dropped: Counter

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        queueDepth = registry.makeGauge(descriptor: .init(metricName: "inference_queue_depth", unitName: "",
            helpText: "Pairs waiting for an inference worker"))
        rejected = registry.makeCounter(descriptor: .init(metricName: "inference_rejected", unitName: "total",
            helpText: "Pairs refused with 503 because the inference queue was full"))
        dropped = registry.makeCounter(descriptor: .init(metricName: "inference_dropped", unitName: "total",
            helpText: "Queued pairs dropped because their client had gone"))
    }

    /// `inference_backbone_precision{precision="bf16"} 1` once the model is ready: the
    /// precision of its products in force.
    func observe(_ host: ModelHost) {
        guard case .ready(let matcher, _) = host.state else { return }
        registry.makeGauge(descriptor: .init(metricName: "inference_backbone_precision", unitName: "",
                                             helpText: "The precision in force of the backbone's products"),
                           labels: [("precision", matcher.model.precision.rawValue)]).set(Double(1))
    }

    func record(_ timings: StageTimings, decode: Duration, wait: Duration) {
        histogram("decode").record(decode)
        histogram("queue_wait").record(wait)
        for stage in timings.stages {
            histogram(stage.name).record(.nanoseconds(Int64(stage.milliseconds * 1e6)))
        }
    }

    /// The registry hands back the same histogram for the same name and labels.
    private func histogram(_ stage: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(metricName: "inference_stage_duration", unitName: "seconds", helpText: "Time per matching stage"),
            labels: [("stage", stage)], buckets: ServerMetrics.buckets)
    }
}

/// The JSON answer of POST /v1/match: one `pairs[]` entry of misc-predictions/v1 (without
/// `pair`), the model, the input geometry and the stage timings.
struct MatchAnswer: Encodable {
    struct Side: Encodable {
        let width: Int, height: Int
        let inputWidth: Int, inputHeight: Int
        /// Input pixels per image pixel.
        let scaleX: Double, scaleY: Double
        let cached: Bool

        enum CodingKeys: String, CodingKey {
            case width, height, inputWidth = "input_width", inputHeight = "input_height"
            case scaleX = "scale_x", scaleY = "scale_y", cached
        }

        init(_ g: InputGeometry, cached: Bool) {
            width = g.imageWidth
            height = g.imageHeight
            inputWidth = g.inputWidth
            inputHeight = g.inputHeight
            scaleX = Double(g.inputWidth) / Double(g.imageWidth)
            scaleY = Double(g.inputHeight) / Double(g.imageHeight)
            self.cached = cached
        }
    }

    let model: String
    let matches: [PredictedMatch]
    let instances: [PredictedInstance]
    let warnings: [MatchWarning]
    let source: Side
    let target: Side
    let timingsMs: [String: Double]

    enum CodingKeys: String, CodingKey { case model, matches, instances, warnings, source, target, timingsMs = "timings_ms" }

    init(model: String, report: MatchReport, decode: Duration, wait: Duration) {
        self.model = model
        matches = report.prediction.matches
        instances = report.prediction.instances
        warnings = report.warnings
        source = Side(report.source, cached: report.sourceCached)
        target = Side(report.target, cached: report.targetCached)
        var timings = ["decode": decode.milliseconds, "queue_wait": wait.milliseconds, "total": report.timings.total]
        for stage in report.timings.stages { timings[stage.name] = stage.milliseconds }
        timingsMs = timings.mapValues { ($0 * 1000).rounded() / 1000 }
    }
}

struct ModelsAnswer: Encodable {
    struct Limits: Encodable {
        let maxImagePixels: Int, maxInputSide: Int, queueCapacity: Int, workers: Int
        enum CodingKeys: String, CodingKey {
            case maxImagePixels = "max_image_pixels", maxInputSide = "max_input_side"
            case queueCapacity = "queue_capacity", workers
        }
    }

    struct Model: Encodable {
        let name: String
        let backbone: ViTConfig
        /// The backbone's precision in force (the config's `auto` resolved on this CPU).
        let precision: Precision
        let matcher: MatcherConfig
        let inputLongSide: Int
        let patchSize: Int
        let forwardMilliseconds: Double
        let warmupPairMilliseconds: Double
        let limits: Limits

        init(name: String, backbone: ViTConfig, precision: Precision, matcher: MatcherConfig, inputLongSide: Int, patchSize: Int,
             forwardMilliseconds: Double, warmupPairMilliseconds: Double, limits: Limits) {
            self.name = name
            self.backbone = backbone
            self.precision = precision
            self.matcher = matcher
            self.inputLongSide = inputLongSide
            self.patchSize = patchSize
            self.forwardMilliseconds = (forwardMilliseconds * 100).rounded() / 100
            self.warmupPairMilliseconds = (warmupPairMilliseconds * 100).rounded() / 100
            self.limits = limits
        }

        enum CodingKeys: String, CodingKey {
            case name, backbone, precision, matcher, inputLongSide = "input_long_side", patchSize = "patch_size"
            case forwardMilliseconds = "forward_ms", warmupPairMilliseconds = "warmup_pair_ms", limits
        }
    }

    let models: [Model]
}

