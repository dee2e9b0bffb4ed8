// POST /v1/propose and the stored reference sets (POST/GET/DELETE /v1/references/{set}):
// a target matched from several labelled images, answered per predicted instance with at
// most one location per keypoint name. Proposals share the match routes' inference queue.
import Foundation
import HTTP
import Imaging
import Matching

struct ProposeRoutes: Sendable {
    let match: MatchRoutes
    let store: ReferenceStore

    init(match: MatchRoutes, dataDirectory: String) {
        self.match = match
        let configuration = match.configuration
        store = ReferenceStore(dataDirectory: dataDirectory, maxSets: configuration.maxReferenceSets,
                               maxSetBytes: configuration.maxReferenceSetBytes, maxImagePixels: configuration.maxImagePixels)
    }

    static let templates: [(method: String, template: String)] = [
        ("POST", "/v1/propose"), ("GET", "/v1/references"), ("POST", "/v1/references/{set}"),
        ("GET", "/v1/references/{set}"), ("DELETE", "/v1/references/{set}"),
    ]

    func register(_ router: inout Router) {
        router.postDeferred("/v1/propose") { request, responder in try propose(request, responder) }
        router.get("/v1/references") { _ in try Response.json(ReferenceList(sets: try store.names().map { try store.get($0).summary })) }
        router.post("/v1/references/{set}") { request in try putSet(request) }
        router.get("/v1/references/{set}") { request in try Response.json(try store.get(request.pathParameters["set"] ?? "").summary) }
        router.add("DELETE", "/v1/references/{set}") { request in
            try store.delete(request.pathParameters["set"] ?? "")
            return Response(status: .noContent)
        }
    }

    private var parserLimits: Int { match.configuration.maxImagePixels }

    private func putSet(_ request: Request) throws -> Response {
        let name = request.pathParameters["set"] ?? ""
        try ReferenceStore.checkName(name)
        let parsed = try ReferencesParser(request: request, maxImagePixels: parserLimits).parseReferences()
        let summary = try store.put(name, parsed)
        // The set's features are computed now, on the inference queue, so that its first
        // proposal starts from the cache; a full queue or no model only delays that.
        if case .ready(let matcher, _) = match.host.state {
            _ = match.queue.trySubmit { try? matcher.warm(parsed.prepared.set) }
        }
        return try Response.json(summary, status: .created)
    }

    private func propose(_ request: Request, _ responder: Responder) throws {
        let received = ContinuousClock.now
        let (matcher, _) = try match.readyMatcher()
        let everyMatch: Bool
        switch request.query["matches"] {
        case nil, "proposals": everyMatch = false
        case "all": everyMatch = true
        default: throw HTTPError(.badRequest, code: "invalid-matches", message: "matches must be proposals or all")
        }
        let parsed = try ReferencesParser(request: request, maxImagePixels: parserLimits).parsePropose()
        let references: PreparedReferences
        switch parsed.source {
        case .inline(let inline): references = inline.prepared
        case .stored(let name): references = try store.get(name).set
        }
        do {
            _ = try matcher.settings(parsed.options)
        } catch {
            throw HTTPError(.badRequest, code: "invalid-options", message: error.description)
        }
        let decoded = ContinuousClock.now
        let accepted = match.queue.trySubmit { [metrics = match.metrics] in
            let started = ContinuousClock.now
            guard !responder.isClientGone else {
                metrics.dropped.increment()
                responder.respond(Response.error(Status(499), code: "client-gone",
                                                 message: "the client closed the connection before the proposal started"))
                return
            }
            let response: Response
            do {
                let report = try matcher.match(references: references, target: parsed.target, options: parsed.options)
                metrics.record(report.timings, decode: decoded - received, wait: started - decoded)
                response = try Response.json(ProposeAnswer(model: matcher.name, references: references, report: report,
                                                           everyMatch: everyMatch, decode: decoded - received, wait: started - decoded))
            } catch let error as MatchInputError {
                response = HTTPError(.badRequest, code: error.code, message: error.description).response
            } catch {
                response = Response.error(.internalServerError, code: "internal", message: "proposing failed: \(error)")
            }
            responder.respond(response)
        }
        guard accepted else {
            match.metrics.rejected.increment()
            throw HTTPError(.serviceUnavailable, code: "overloaded",
                            message: "the inference queue is full (\(match.configuration.queueCapacity) waiting); retry in \(match.configuration.retryAfterSeconds) s",
                            headers: ["Retry-After": String(match.configuration.retryAfterSeconds)])
        }
    }
}

struct ReferenceList: Encodable {
    let sets: [ReferenceSummary]
}

/// The answer of POST /v1/propose: the proposal itself, the target's input geometry and the
/// stage timings.
struct ProposeAnswer: Encodable {
    let result: ProposalResult
    let target: MatchAnswer.Side
    let timingsMs: [String: Double]

    enum CodingKeys: String, CodingKey { case target, timingsMs = "timings_ms" }

    init(model: String, references: PreparedReferences, report: ReferenceReport, everyMatch: Bool, decode: Duration, wait: Duration) {
        result = ProposalResult(model: model, references: references, report: report, everyMatch: everyMatch)
        target = MatchAnswer.Side(report.target, cached: report.targetCached)
        var timings = ["decode": decode.milliseconds, "queue_wait": wait.milliseconds, "total": report.timings.total]
        for stage in report.timings.stages { timings[stage.name] = stage.milliseconds }
        timingsMs = timings.mapValues { ($0 * 1000).rounded() / 1000 }
    }

    /// One object: the proposal's keys beside these.
    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var object = encoder.container(keyedBy: CodingKeys.self)
        try object.encode(target, forKey: .target)
        try object.encode(timingsMs, forKey: .timingsMs)
    }
}
