// The leaderboard's HTTP API: teams, benchmarks (ground truth in, public inputs and images
// out), streamed submissions evaluated in the background, and rankings as JSON, CSV or HTML.
import Foundation
import HTTP
import Leaderboard

struct LeaderboardRoutes: Sendable {
    let store: Store
    let jobs: EvaluationJobs
    let auth: Authorization
    let configuration: LeaderboardConfiguration

    init(store: Store, configuration: LeaderboardConfiguration) {
        self.store = store
        self.configuration = configuration
        jobs = EvaluationJobs(store: store, workers: configuration.evaluationWorkers)
        auth = Authorization(store: store, adminToken: configuration.adminToken,
                             maxFailuresPerMinute: configuration.maxFailedAuthPerMinute)
    }

    /// The routes `register` adds (for the other role's hints).
    static let templates: [(method: String, template: String)] = [
        ("POST", "/v1/teams"), ("GET", "/v1/teams"), ("POST", "/v1/benchmarks"), ("GET", "/v1/benchmarks"),
        ("GET", "/v1/benchmarks/{name}"), ("GET", "/v1/benchmarks/{name}/inputs"), ("PUT", "/v1/benchmarks/{name}/images/{file...}"),
        ("GET", "/v1/benchmarks/{name}/images/{file...}"), ("POST", "/v1/benchmarks/{name}/submissions"), ("GET", "/v1/submissions/{id}"),
        ("GET", "/v1/benchmarks/{name}/leaderboard"), ("GET", "/leaderboards"), ("GET", "/leaderboards/{name}"),
    ]

    func register(_ router: inout Router) {
        let uploads = UploadPolicy(directory: store.uploadDirectory, maxBodyBytes: configuration.maxUploadBytes)
        let submissions = UploadPolicy(directory: store.uploadDirectory, maxBodyBytes: configuration.maxSubmissionBytes)
        router.post("/v1/teams") { request in try createTeam(request) }
        router.get("/v1/teams") { request in try listTeams(request) }
        router.addStreaming("POST", "/v1/benchmarks", upload: uploads, admit: { request in try auth.requireAdmin(request) }) { request in
            try addBenchmark(request)
        }
        router.get("/v1/benchmarks") { request in try listBenchmarks(request) }
        router.get("/v1/benchmarks/{name}") { request in try describeBenchmark(request) }
        router.get("/v1/benchmarks/{name}/inputs") { request in try inputs(request) }
        router.addStreaming("PUT", "/v1/benchmarks/{name}/images/{file...}", upload: uploads,
                            admit: { request in try auth.requireAdmin(request) }) { request in try putImage(request) }
        router.get("/v1/benchmarks/{name}/images/{file...}") { request in try image(request) }
        router.addStreaming("POST", "/v1/benchmarks/{name}/submissions", upload: submissions,
                            admit: { request in try admitSubmission(request) }) { request in try submit(request) }
        router.get("/v1/submissions/{id}") { request in try submission(request) }
        router.get("/v1/benchmarks/{name}/leaderboard") { request in try leaderboard(request) }
        router.get("/leaderboards") { request in try leaderboardsPage(request) }
        router.get("/leaderboards/{name}") { request in
            let (info, query) = (try visibleBenchmark(request), try rankingQuery(request))
            return Self.page(RankingHTML.render(try mapped { try store.ranking(benchmark: info.name, query) }, benchmark: info, query: query))
        }
    }

    // MARK: teams

    private struct TeamName: Decodable { let name: String }

    private func createTeam(_ request: Request) throws -> Response {
        try auth.requireAdmin(request)
        let body = try request.decodeJSON(TeamName.self)
        let (team, token) = try mapped { try store.createTeam(name: body.name) }
        return try Response.json(CreatedTeam(team: TeamView(team), token: token), status: .created)
    }

    private func listTeams(_ request: Request) throws -> Response {
        try auth.requireAdmin(request)
        return try Response.json(["teams": try store.teams().map(TeamView.init)])
    }

    // MARK: benchmarks

    /// The admin token was checked on the request head (`admit`).
    private func addBenchmark(_ request: Request) throws -> Response {
        guard let upload = request.upload else { throw HTTPError(.lengthRequired, code: "length-required", message: "send the ground truth") }
        let visibility = try request.query["visibility"].map { value throws(HTTPError) in
            guard let visibility = Visibility(rawValue: value) else {
                throw HTTPError(.badRequest, code: "invalid-visibility", message: "visibility must be public or hidden")
            }
            return visibility
        } ?? .public
        let title = request.query["title"], description = request.query["description"] ?? ""
        let allowLeak = try Self.flag(request, "allow_leak")
        switch request.mediaType {
        case "application/json":
            let info = try mapped { try store.addBenchmark(groundTruth: upload.path, move: true, title: title, description: description, visibility: visibility,
                                                          allowLeak: allowLeak) }
            return try benchmarkResponse(info, status: .created)
        case "multipart/form-data":
            // The form is read in memory: it is for small benchmarks (the upload limit bounds
            // it); large ones send the JSON, then PUT each image.
            let body = try Array(Data(contentsOf: URL(fileURLWithPath: upload.path)))
            let boundary: String
            do { boundary = try MultipartParser.boundary(contentType: request.headers["Content-Type"]) } catch { throw error.httpError }
            let parts: [MultipartPart]
            do { parts = try MultipartParser.parse(body, boundary: boundary, limits: MultipartLimits(maxParts: 100_000, maxPartBytes: configuration.maxUploadBytes)) } catch { throw error.httpError }
            guard let pairs = parts.first(where: { $0.name == "pairs" }) else {
                throw HTTPError(.badRequest, code: "missing-part", message: "the form needs a part named pairs (the misc-pairs/v1 document)")
            }
            let truth = store.uploadDirectory + "/.benchmark-\(UUID().uuidString).json"
            try Data(pairs.body).write(to: URL(fileURLWithPath: truth))
            defer { try? FileManager.default.removeItem(atPath: truth) }
            let info = try mapped { try store.addBenchmark(groundTruth: truth, move: true, title: title, description: description, visibility: visibility,
                                                          allowLeak: allowLeak) }
            let files = Set(try store.images(of: info.name).map(\.file))
            for part in parts where part.name != "pairs" {
                guard files.contains(part.name) else {
                    throw HTTPError(.badRequest, code: "unknown-part", message: "part \(part.name) is not an image file of \(info.name)")
                }
                let path = store.uploadDirectory + "/.image-\(UUID().uuidString)"
                try Data(part.body).write(to: URL(fileURLWithPath: path))
                defer { try? FileManager.default.removeItem(atPath: path) }
                try mapped { try store.putImage(benchmark: info.name, file: part.name, from: path, sha256: Digest.sha256(part.body)) }
            }
            return try benchmarkResponse(info, status: .created)
        default:
            throw HTTPError(.unsupportedMediaType, code: "unsupported-media-type",
                            message: "send the misc-pairs/v1 document as application/json, or a multipart/form-data form")
        }
    }

    private func listBenchmarks(_ request: Request) throws -> Response {
        let admin = try isAdmin(request)
        return try Response.json(["benchmarks": try store.benchmarks(includeHidden: admin).map { try view($0) }])
    }

    private func describeBenchmark(_ request: Request) throws -> Response {
        try benchmarkResponse(try visibleBenchmark(request), status: .ok)
    }

    private func inputs(_ request: Request) throws -> Response {
        let info = try visibleBenchmark(request)
        return try Response.file(store.inputsPath(info), contentType: "application/json")
    }

    /// The admin token was checked on the request head (`admit`).
    private func putImage(_ request: Request) throws -> Response {
        guard let upload = request.upload else { throw HTTPError(.lengthRequired, code: "length-required", message: "send the image") }
        let name = request.pathParameters["name"] ?? "", file = request.pathParameters["file"] ?? ""
        try mapped { try store.putImage(benchmark: name, file: file, from: upload.path, sha256: upload.sha256) }
        guard let info = try store.benchmark(named: name) else { throw ServiceError.notFound(what: "benchmark \(name)").httpError }
        return try benchmarkResponse(info, status: .ok)
    }

    private func image(_ request: Request) throws -> Response {
        let info = try visibleBenchmark(request)
        let file = request.pathParameters["file"] ?? ""
        guard let image = try store.images(of: info.name).first(where: { $0.file == file }), image.sha256 != nil else {
            throw ServiceError.notFound(what: "image \(file) of \(info.name)").httpError
        }
        return try Response.file(store.imagePath(benchmark: info.name, file: file), contentType: WebRoutes.contentType(file))
    }

    // MARK: submissions

    /// Checked on the request head, before a byte of the file is read.
    private func admitSubmission(_ request: Request) throws {
        let team = try auth.requireTeam(request)
        let info = try visibleBenchmark(request)
        _ = try Self.flag(request, "anonymous")
        _ = try mapped {
            try store.admission(team: team, benchmark: info.name, idempotencyKey: request.headers["Idempotency-Key"], sha256: nil,
                                quota: configuration.submissionQuota)
        }
    }

    private func submit(_ request: Request) throws -> Response {
        let team = try auth.requireTeam(request)
        let info = try visibleBenchmark(request)
        guard let upload = request.upload, upload.size > 0 else {
            throw HTTPError(.badRequest, code: "empty-submission", message: "send the misc-predictions/v1 file as the body")
        }
        try Self.checkLooksLikePredictions(upload.path)
        var submission = SubmissionRequest(benchmark: info.name, team: team, file: upload.path, size: Int64(upload.size), sha256: upload.sha256)
        submission.method = request.query["method"] ?? ""
        submission.description = request.query["description"] ?? ""
        submission.anonymous = try Self.flag(request, "anonymous")
        submission.idempotencyKey = request.headers["Idempotency-Key"]
        let (row, created) = try mapped { try store.submit(submission, quota: configuration.submissionQuota) }
        if created { jobs.wake() }
        var response = try submissionResponse(row, team: team.name, status: .accepted)
        response.headers.add("Location", "/v1/submissions/\(row.id ?? 0)")
        if !created { response.headers.add("Idempotent-Replayed", "true") }
        return response
    }

    /// The cheap check made at once (422): the file starts as JSON or as gzip does. The rest
    /// is found by the evaluation, which fails the submission with the JSON path.
    static func checkLooksLikePredictions(_ path: String) throws(HTTPError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let head = Array((try? handle.read(upToCount: 4096)) ?? Data())
        if head.starts(with: [0x1f, 0x8b]) { return }
        let first = head.first { ![0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf].contains($0) }
        guard first == UInt8(ascii: "{") else {
            throw HTTPError(.unprocessableContent, code: "invalid-predictions",
                            message: "the body is neither a JSON object nor gzip: send a misc-predictions/v1 document, plain or gzip")
        }
    }

    private func submission(_ request: Request) throws -> Response {
        guard let id = Int64(request.pathParameters["id"] ?? ""), let row = try store.submission(id: id) else {
            throw ServiceError.notFound(what: "submission \(request.pathParameters["id"] ?? "")").httpError
        }
        switch try auth.caller(request) {
        case .admin:
            return try submissionResponse(row, team: try store.team(id: row.team)?.name ?? "", status: .ok)
        case .team(let team) where team.id == row.team:
            return try submissionResponse(row, team: team.name, status: .ok)
        case .team:
            // Another team's submission is not theirs to know of.
            throw ServiceError.notFound(what: "submission \(id)").httpError
        case nil:
            throw Authorization.unauthorized("this needs the submitting team's token (Authorization: Bearer …)")
        }
    }

    // MARK: rankings

    private func leaderboard(_ request: Request) throws -> Response {
        let info = try visibleBenchmark(request)
        let query = try rankingQuery(request)
        let ranking = try mapped { try store.ranking(benchmark: info.name, query) }
        switch try Self.format(request) {
        case .csv: return Response.text(RankingCSV.render(ranking), contentType: "text/csv; charset=utf-8")
        case .html: return Self.page(RankingHTML.render(ranking, benchmark: info, query: query))
        case .json: return try Response.json(ranking)
        }
    }

    /// `alpha`, `metric`, `category` and `all` of a leaderboard request.
    private func rankingQuery(_ request: Request) throws(HTTPError) -> RankingQuery {
        var query = RankingQuery()
        if let alpha = request.query["alpha"] {
            guard let value = Double(alpha), RankingQuery.alphas.contains(where: { abs($0 - value) < 1e-9 }) else {
                throw HTTPError(.badRequest, code: "invalid-alpha",
                                message: "alpha must be one of " + RankingQuery.alphas.map { String(format: "%.2f", $0) }.joined(separator: ", "))
            }
            query.alpha = value
        }
        if let metric = request.query["metric"] {
            guard let value = RankingMetric(rawValue: metric) else {
                throw HTTPError(.badRequest, code: "invalid-metric",
                                message: "metric must be one of \(RankingMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.metric = value
        }
        query.category = request.query["category"].flatMap { $0.isEmpty ? nil : $0 }
        query.all = try Self.flag(request, "all")
        return query
    }

    static func page(_ html: String) -> Response { WebRoutes.page(Array(html.utf8), contentType: "text/html; charset=utf-8") }

    private func leaderboardsPage(_ request: Request) throws -> Response {
        let entries = try store.benchmarks(includeHidden: try isAdmin(request)).map { info in
            (benchmark: info, leader: try store.ranking(benchmark: info.name, RankingQuery()).rows.first)
        }
        return Self.page(RankingHTML.index(entries))
    }

    enum Format { case json, csv, html }

    /// `?format=` first, else the Accept field: CSV or HTML when asked for, JSON otherwise.
    static func format(_ request: Request) throws(HTTPError) -> Format {
        switch request.query["format"] {
        case "csv": return .csv
        case "html": return .html
        case "json": return .json
        case nil: break
        default: throw HTTPError(.badRequest, code: "invalid-format", message: "format must be json, csv or html")
        }
        let accept = request.headers["Accept"]?.lowercased() ?? ""
        if accept.contains("text/csv") { return .csv }
        if accept.contains("text/html") { return .html }
        return .json
    }

    // MARK: helpers

    /// A query switch: absent or 0 is off, 1 on; anything else is refused (the contract's enum).
    static func flag(_ request: Request, _ name: String) throws(HTTPError) -> Bool {
        switch request.query[name] {
        case nil, "0": return false
        case "1": return true
        default: throw HTTPError(.badRequest, code: "invalid-" + name.replacingOccurrences(of: "_", with: "-"), message: "\(name) must be 0 or 1")
        }
    }

    private func isAdmin(_ request: Request) throws(HTTPError) -> Bool {
        if case .admin = try auth.caller(request) { return true }
        return false
    }

    /// The benchmark of the path; a hidden one exists for the admin only.
    private func visibleBenchmark(_ request: Request) throws -> BenchmarkInfo {
        let name = request.pathParameters["name"] ?? ""
        guard let info = try store.benchmark(named: name), try info.visibility == Visibility.public.rawValue || isAdmin(request) else {
            throw ServiceError.notFound(what: "benchmark \(name)").httpError
        }
        return info
    }

    private func benchmarkResponse(_ info: BenchmarkInfo, status: Status) throws -> Response {
        try Response.json(try view(info), status: status)
    }

    private func view(_ info: BenchmarkInfo) throws -> BenchmarkView {
        let images = try store.images(of: info.name)
        let uploaded = images.filter { $0.sha256 != nil }.count
        return BenchmarkView(name: info.name, title: info.title, description: info.description, created: info.created,
                             visibility: info.visibility, categories: info.categoryNames, pairs: info.pair_count,
                             images: images.count, images_uploaded: uploaded, images_complete: uploaded == images.count,
                             leak: info.leak.map { LeakView(share: $0.share, target_instances: $0.targetInstances,
                                                            leaked_instances: $0.leakedInstances, allowed: info.leak_allowed) },
                             inputs: "/v1/benchmarks/\(info.name)/inputs", leaderboard: "/v1/benchmarks/\(info.name)/leaderboard")
    }

    private func submissionResponse(_ row: Submission, team: String, status: Status) throws -> Response {
        var document: [String: Any] = [
            "id": row.id ?? 0, "benchmark": row.benchmark, "team": team, "method": row.method, "description": row.description,
            "visibility": row.visibility, "status": row.status, "submitted": row.submitted, "metric_version": row.metric_version,
            "file": ["sha256": row.file_sha256, "size": row.file_size],
        ]
        document["error"] = row.error ?? NSNull()
        document["started"] = row.started ?? NSNull()
        document["finished"] = row.finished ?? NSNull()
        document["scores"] = try row.scores.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull()
        let bytes = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response.bytes(Array(bytes), contentType: "application/json", status: status)
    }

    /// Runs a store call, mapping its errors onto statuses.
    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LeaderboardError {
            throw Self.httpError(error)
        }
    }

    static func httpError(_ error: LeaderboardError) -> HTTPError {
        switch error {
        case .invalid: HTTPError(.badRequest, code: "invalid-input", message: error.description)
        case .notFound: HTTPError(.notFound, code: "not-found", message: error.description)
        case .alreadyExists: HTTPError(.conflict, code: "already-exists", message: error.description)
        case .invalidDocument: HTTPError(.unprocessableContent, code: "invalid-document", message: error.description)
        case .leaksTruth: HTTPError(.unprocessableContent, code: "benchmark-leaks-truth", message: error.description)
        case .quotaExceeded(_, let retry):
            HTTPError(.tooManyRequests, code: "quota-exceeded", message: error.description, headers: ["Retry-After": String(retry)])
        case .idempotencyConflict: HTTPError(.conflict, code: "idempotency-conflict", message: error.description)
        case .internalFailure: HTTPError(.internalServerError, code: "internal", message: error.description)
        }
    }
}

struct TeamView: Encodable {
    let name: String
    let created: String
    init(_ team: Team) { name = team.name; created = team.created }
}

struct CreatedTeam: Encodable {
    let team: TeamView
    /// Shown this once.
    let token: String
}

struct BenchmarkView: Encodable {
    let name, title, description, created, visibility: String
    let categories: [String]
    let pairs, images, images_uploaded: Int
    let images_complete: Bool
    /// Absent for a benchmark added before the leak was measured.
    let leak: LeakView?
    let inputs, leaderboard: String
}

struct LeakView: Encodable {
    let share: Double
    let target_instances, leaked_instances: Int
    let allowed: Bool
}
