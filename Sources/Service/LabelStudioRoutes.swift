// Label Studio's ML backend protocol under /label-studio: /health, /setup (the project's
// label config, host and token), /predict (one result per task, each predicted instance a
// region with its keypoints as children) and /webhook (annotations keep the project's
// reference set in step; answered at once, the work done after on a queue of its own).
import Foundation
import HTTP
import Imaging
import Matching

struct LabelStudioRoutes: Sendable {
    static let prefix = "/label-studio"
    let propose: ProposeRoutes
    let client: LabelStudioClient
    let projects = Projects()
    /// Webhook work, in arrival order, off the HTTP executor.
    let work = DispatchQueue(label: "label-studio-webhook")

    init(propose: ProposeRoutes, hosts: [String]) {
        self.propose = propose
        client = LabelStudioClient(allowedOrigins: Set(hosts.compactMap { URL(string: $0).flatMap(LabelStudioClient.origin) }),
                                   maxBytes: propose.match.configuration.maxReferenceSetBytes)
    }

    static let templates: [(method: String, template: String)] = ["/health", "/setup", "/predict", "/webhook"].map {
        ($0 == "/health" ? "GET" : "POST", prefix + $0)
    }

    /// What /setup said about a project: where its images are, its token and its config.
    struct Project: Sendable {
        let hostname: String
        let token: String
        let config: LabelConfig
    }

    final class Projects: @unchecked Sendable {
        private let lock = NSLock()
        private var projects: [String: Project] = [:]
        subscript(id: String) -> Project? {
            get { lock.lock(); defer { lock.unlock() }; return projects[id] }
            set { lock.lock(); projects[id] = newValue; lock.unlock() }
        }
    }

    func register(_ router: inout Router) {
        let health = Response.bytes(Array(#"{"status":"UP","model_class":"dpcl"}"#.utf8), contentType: "application/json")
        router.get(Self.prefix + "/health", execution: .inline) { _ in health }
        router.post(Self.prefix + "/setup") { request in try setup(request) }
        router.postDeferred(Self.prefix + "/predict") { request, responder in try predict(request, responder) }
        router.post(Self.prefix + "/webhook") { request in try webhook(request) }
    }

    static func setName(_ project: String) -> String { "label-studio-\(project)" }

    private func modelVersion() throws(HTTPError) -> String { "dpcl-" + (try propose.match.readyMatcher().0.name) }

    private func decode<T: Decodable>(_ type: T.Type, _ request: Request) throws(HTTPError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, code: "invalid-json", message: JSONErrorDescription.describe(error))
        } catch {
            throw HTTPError(.badRequest, code: "invalid-json", message: "the body is not JSON")
        }
    }

    private func setup(_ request: Request) throws -> Response {
        let body = try decode(SetupBody.self, request)
        let config: LabelConfig
        do { config = try LabelConfig(xml: body.schema) } catch {
            throw HTTPError(.badRequest, code: "unsupported-label-config", message: error.description)
        }
        let hostname = body.hostname ?? ""
        do { _ = try client.allowed(hostname) } catch { throw error.httpError }
        projects[body.project.id] = Project(hostname: hostname, token: body.accessToken ?? "", config: config)
        return try Response.json(["model_version": try modelVersion()])
    }

    /// The project of a request, known from its /setup.
    private func known(_ reference: ProjectReference?) throws(HTTPError) -> (String, Project) {
        guard let id = reference?.id, let project = projects[id] else {
            throw HTTPError(.badRequest, code: "unknown-project", message: "this project has not been set up: connect the backend in Label Studio (POST /setup first)")
        }
        return (id, project)
    }

    private func predict(_ request: Request, _ responder: Responder) throws {
        let body = try decode(PredictBody.self, request)
        let (id, project) = try known(Optional(body.project))
        let (matcher, _) = try propose.match.readyMatcher()
        let version = try modelVersion()
        let maxPixels = propose.match.configuration.maxImagePixels
        // No reference set yet (nothing labelled): every task gets an empty prediction.
        let references = try? propose.store.get(Self.setName(id)).set
        try propose.match.enqueue(responder, what: "prediction") { [client] _ in
            let results = try body.tasks.map { task throws -> LabelStudioResults.Prediction in
                guard let references else { return LabelStudioResults.Prediction(result: [], score: 0, modelVersion: version) }
                let image = try MatchRequestParser.image(try Self.bytes(of: task, project: project, client: client),
                                                         "task \(task.id ?? 0)", maxImagePixels: maxPixels)
                let report = try matcher.match(references: references, target: image)
                let proposals = Proposals.of(report.prediction, keypoints: references.set.keypoints)
                return LabelStudioResults.prediction(proposals, config: project.config, width: image.width, height: image.height,
                                                     version: version)
            }
            return try Response.json(LabelStudioResults.Predictions(results: results))
        }
    }

    /// A task's image as Label Studio serves it.
    static func bytes(of task: LabelStudioTask, project: Project, client: LabelStudioClient) throws(HTTPError) -> [UInt8] {
        guard let reference = task.data[project.config.imageKey] else {
            throw HTTPError(.badRequest, code: "invalid-task", message: "task \(task.id ?? 0) has no data.\(project.config.imageKey)")
        }
        do { return try client.image(reference, hostname: project.hostname, token: project.token) } catch { throw error.httpError }
    }

    /// Answers at once (Label Studio waits 1 s); the reference set is updated afterwards.
    private func webhook(_ request: Request) throws -> Response {
        let body = try decode(WebhookBody.self, request)
        guard ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED"].contains(body.action) else {
            return try Response.json(["status": "ignored"])
        }
        let (id, project) = try known(body.project)
        let maxPixels = propose.match.configuration.maxImagePixels
        work.async { [propose, client] in
            let name = Self.setName(id)
            do {
                var uploads = try propose.store.uploads(name)
                if body.action == "ANNOTATIONS_DELETED" {
                    let gone = Set((body.annotations ?? []).map { "annotation-\($0.id)" })
                    uploads.removeAll { $0.key.map(gone.contains) == true }
                } else {
                    guard let annotation = body.annotation, let task = body.task else { return }
                    let key = "annotation-\(annotation.id)"
                    uploads.removeAll { $0.key == key }
                    let encoded = try Self.bytes(of: task, project: project, client: client)
                    let image = try MatchRequestParser.image(encoded, "task \(task.id ?? 0)", maxImagePixels: maxPixels)
                    if let annotations = LabelStudioResults.annotations(annotation.result ?? [], config: project.config,
                                                                        width: image.width, height: image.height, idBase: annotation.id * 1000) {
                        uploads.append(ReferenceUpload(bytes: encoded, annotations: annotations, key: key))
                    }
                }
                if uploads.isEmpty {
                    try? propose.store.delete(name)
                } else {
                    let parsed = try ReferencesParser.assemble(uploads, maxImagePixels: maxPixels)
                    _ = try propose.put(name, parsed)
                }
            } catch {
                // Nobody waits for the webhook's work: the next prediction shows the set as it is.
                FileHandle.standardError.write(Data("label-studio: project \(id) \(body.action) not applied: \(error)\n".utf8))
            }
        }
        return try Response.json(["status": "accepted"])
    }
}
