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
        return try Response.json(try put(name, parsed), status: .created)
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
        try match.checkOptions(parsed.options, matcher)
        let decoded = ContinuousClock.now
        try match.enqueue(responder, what: "proposal") { [metrics = match.metrics] started in
            let report = try matcher.match(references: references, target: parsed.target, options: parsed.options)
            metrics.record(report.timings, decode: decoded - received, wait: started - decoded)
            return try Response.json(ProposeAnswer(model: matcher.name, references: references, report: report,
                                                   everyMatch: everyMatch, decode: decoded - received, wait: started - decoded))
        }
    }

    /// Stores a set, then computes its features on the inference queue, so that its first
    /// proposal starts from the cache; a full queue or no model only delays that.
    func put(_ name: String, _ parsed: ParsedReferences) throws -> ReferenceSummary {
        let summary = try store.put(name, parsed)
        if case .ready(let matcher, _) = match.host.state {
            _ = match.queue.trySubmit { try? matcher.warm(parsed.prepared.set) }
        }
        return summary
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
