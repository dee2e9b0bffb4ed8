// POST /v1/match and GET /v1/models on a live server with the default model, through curl:
// a dev pair as multipart (-F) and as JSON, the PNG answer, every error case, readiness
// while the model loads, and a full inference queue held by a real job.
import Foundation
import HTTP
import Imaging
import Matching
import TestSupport
import Testing
@testable import Service

/// The default model, loaded and warmed up once for the whole suite.
enum ServedModel {
    static let host: Result<ModelHost, Error> = Result {
        let matcher = try Matcher.load(configPath: Repository.root.appendingPathComponent("Config/models/dinov2-small.json").path)
        return ModelHost(state: .ready(matcher, try ModelHost.warmUp(matcher)))
    }
}

/// Files of one dev pair written where curl can read them.
struct PairFiles {
    let source: String, target: String, annotations: String
    let directory: String

    /// coco-person-dev pair person-0003: a skier matched onto five skiers.
    init(annotations edit: (inout [String: Any]) -> Void = { _ in }) throws {
        let folder = Repository.shared.appendingPathComponent("data/coco-person-dev")
        let split = try PairsFile.load(path: folder.appendingPathComponent("pairs.json").path)
        let pair = split.pairs[2]
        source = folder.appendingPathComponent(try split.image(pair.source).file).path
        target = folder.appendingPathComponent(try split.image(pair.target).file).path
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("pairs.json"))) as! [String: Any]
        let instances = (document["instances"] as! [[String: Any]]).filter { $0["image"] as? String == pair.source }
        var annotations: [String: Any] = [
            "category": "person",
            "keypoints": (document["categories"] as! [[String: Any]])[0]["keypoints"]!,
            "instances": instances.map { $0.filter { ["id", "keypoints", "segmentation", "bbox"].contains($0.key) } },
        ]
        edit(&annotations)
        directory = NSTemporaryDirectory() + "dpcl-match-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.annotations = directory + "/annotations.json"
        try JSONSerialization.data(withJSONObject: annotations).write(to: URL(fileURLWithPath: self.annotations))
    }

    var form: [String] { ["-F", "source=@\(source)", "-F", "target=@\(target)", "-F", "annotations=@\(annotations);type=application/json"] }

    /// The same request as JSON with base64 images, written to a file for --data-binary.
    func jsonBody(options: [String: Any]? = nil) throws -> String {
        var body: [String: Any] = [
            "source": try Data(contentsOf: URL(fileURLWithPath: source)).base64EncodedString(),
            "target": try Data(contentsOf: URL(fileURLWithPath: target)).base64EncodedString(),
            "annotations": try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: annotations))),
        ]
        if let options { body["options"] = options }
        let path = directory + "/body.json"
        try JSONSerialization.data(withJSONObject: body).write(to: URL(fileURLWithPath: path))
        return path
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
}

struct MatchAnswerDocument: Decodable {
    struct Match: Decodable, Equatable {
        let source_instance: Int, keypoint: Int
        let x: Double, y: Double, score: Double
        let target_instance: Int?
    }
    struct Instance: Decodable {
        let id: Int
        let score: Double
        let bbox: [Double]
        let segmentation: Segmentation
    }
    struct Side: Decodable { let width: Int, height: Int, input_width: Int, input_height: Int, scale_x: Double, scale_y: Double }
    struct Warning: Decodable { let code: String, source_instance: Int, keypoint: Int?, message: String }
    let model: String
    let matches: [Match]
    let instances: [Instance]
    let warnings: [Warning]
    let source: Side, target: Side
    let timings_ms: [String: Double]
}

@Suite(.serialized) struct MatchEndpointTests {
    func withService(_ body: (LiveService) throws -> Void) throws {
        let service = try LiveService(model: try ServedModel.host.get())
        defer { service.stop() }
        try body(service)
    }

    @Test func aDevPairWithCurlFormAndWithJSONGivesTheSameMatches() throws {
        let files = try PairFiles()
        defer { files.cleanUp() }
        try withService { service in
            let form = try service.curl(files.form, "/v1/match")
            #expect(form.status == 200, "\(form.text)")
            #expect(form.headers["content-type"] == "application/json")
            let answer = try JSONDecoder().decode(MatchAnswerDocument.self, from: form.body)
            #expect(answer.model == "dinov2-small")
            #expect(!answer.matches.isEmpty && answer.instances.count >= 2)
            let ids = Set(answer.instances.map(\.id))
            #expect(answer.matches.allSatisfy { $0.target_instance.map(ids.contains) == true },
                    "every target_instance names a returned instance")
            #expect(answer.target.width == 640 && answer.target.input_width == 448 && abs(answer.target.scale_x - 0.7) < 1e-9)
            for stage in ["decode", "source_features", "target_features", "segmentation", "peaks", "total"] {
                #expect(answer.timings_ms[stage] != nil, "timing \(stage)")
            }
            for instance in answer.instances {
                let mask = try instance.segmentation.rle(height: answer.target.height, width: answer.target.width)
                #expect(mask.bbox.array == instance.bbox)
            }

            let json = try service.curl(["-H", "Content-Type: application/json", "--data-binary", "@" + (try files.jsonBody())], "/v1/match")
            #expect(json.status == 200, "\(json.text)")
            let same = try JSONDecoder().decode(MatchAnswerDocument.self, from: json.body)
            #expect(same.matches == answer.matches)
            #expect(same.instances.map(\.bbox) == answer.instances.map(\.bbox))

            // Options reach the matcher: one match per keypoint at most.
            let one = try service.curl(["-H", "Content-Type: application/json", "--data-binary",
                                        "@" + (try files.jsonBody(options: ["max_matches": 1]))], "/v1/match")
            let limited = try JSONDecoder().decode(MatchAnswerDocument.self, from: one.body)
            #expect(limited.matches.count < answer.matches.count)
            #expect(Set(limited.matches.map { "\($0.source_instance)/\($0.keypoint)" }).count == limited.matches.count)
        }
    }

    @Test func thePictureComesAsPNGByAcceptOrQuery() throws {
        let files = try PairFiles()
        defer { files.cleanUp() }
        try withService { service in
            for (arguments, path) in [(files.form + ["-H", "Accept: image/png"], "/v1/match"), (files.form, "/v1/match?format=png")] {
                let answer = try service.curl(arguments, path)
                #expect(answer.status == 200)
                #expect(answer.headers["content-type"] == "image/png")
                let image = try ImageDecoder.decode([UInt8](answer.body))
                #expect(image.height == 480 + 22, "the picture's height and its legend strip")
            }
        }
    }

    @Test func aKeypointOutsideTheImageIsLeftOutWithAWarning() throws {
        var id = 0
        let outside = try PairFiles { annotations in
            var instances = annotations["instances"] as! [[String: Any]]
            var keypoints = instances[0]["keypoints"] as! [[Double]]
            keypoints[0] = [9000, 10, 2]
            instances[0]["keypoints"] = keypoints
            id = instances[0]["id"] as! Int
            annotations["instances"] = instances
        }
        defer { outside.cleanUp() }
        try withService { service in
            let answer = try service.curl(outside.form, "/v1/match")
            #expect(answer.status == 200, "\(answer.text)")
            let document = try JSONDecoder().decode(MatchAnswerDocument.self, from: answer.body)
            #expect(document.warnings.map(\.code) == ["keypoint-outside-image"])
            #expect(document.warnings.first?.source_instance == id && document.warnings.first?.keypoint == 0)
            #expect(document.warnings.first?.message.contains("outside the 640x425 source image") == true)
            #expect(!document.matches.isEmpty)
            #expect(!document.matches.contains { $0.source_instance == id && $0.keypoint == 0 })
        }
    }

    @Test func badRequestsGetPreciseErrors() throws {
        let files = try PairFiles()
        defer { files.cleanUp() }
        let unlabelled = try PairFiles { annotations in
            var instances = annotations["instances"] as! [[String: Any]]
            instances[0]["keypoints"] = (instances[0]["keypoints"] as! [[Double]]).map { [$0[0], $0[1], 0] }
            annotations["instances"] = instances
        }
        let wrongMask = try PairFiles { annotations in
            var instances = annotations["instances"] as! [[String: Any]]
            instances[0]["segmentation"] = ["size": [10, 10], "counts": [100]]
            annotations["instances"] = instances
        }
        let duplicate = try PairFiles { annotations in
            let instances = annotations["instances"] as! [[String: Any]]
            annotations["instances"] = [instances[0], instances[0]]
        }
        defer { [unlabelled, wrongMask, duplicate].forEach { $0.cleanUp() } }
        // An ID PNG of the source's size whose id 7 the annotations do not list.
        let sourceImage = try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: files.source))))
        let idPNG = try InstanceIDImage.encode([InstanceMask(id: 7, mask: try RLE(counts: [5, 5, sourceImage.width * sourceImage.height - 10],
                                                                                  height: sourceImage.height, width: sourceImage.width))],
                                               height: sourceImage.height, width: sourceImage.width)
        let masks = files.directory + "/ids.png"
        try Data(idPNG).write(to: URL(fileURLWithPath: masks))

        try withService { service in
            func expectError(_ arguments: [String], status: Int, code: String, mentions: String, _ path: String = "/v1/match") throws {
                let answer = try service.curl(arguments, path)
                #expect(answer.status == status, "\(arguments): \(answer.text)")
                let error = try JSONSerialization.jsonObject(with: answer.body) as? [String: [String: String]]
                #expect(error?["error"]?["code"] == code, "\(answer.text)")
                #expect(error?["error"]?["message"]?.contains(mentions) == true, "\(answer.text)")
            }
            try expectError(unlabelled.form, status: 400, code: "no-keypoints", mentions: "no source instance has a labelled keypoint")
            try expectError(wrongMask.form, status: 400, code: "mask-size", mentions: "[10, 10]")
            try expectError(duplicate.form, status: 400, code: "duplicate-instance", mentions: "appears twice")
            try expectError(files.form + ["-F", "source_masks=@\(masks)"], status: 400, code: "invalid-annotations",
                            mentions: "source_masks holds id 7")
            try expectError(["-F", "source=@\(files.annotations)", "-F", "target=@\(files.target)", "-F", "annotations=@\(files.annotations)"],
                            status: 400, code: "invalid-image", mentions: "source is not a decodable JPEG or PNG")
            try expectError(["-F", "source=@\(files.source)", "-F", "annotations=@\(files.annotations)"],
                            status: 400, code: "missing-part", mentions: "target")
            try expectError(files.form + ["-F", "options={\"size\": 450}"], status: 400, code: "invalid-options", mentions: "multiple of 14")
            try expectError(files.form + ["-F", "annotations2=x"], status: 400, code: "unknown-part", mentions: "annotations2")
            try expectError(["-H", "Content-Type: text/plain", "--data-binary", "hello"], status: 415, code: "unsupported-media-type",
                            mentions: "multipart/form-data")
        }
        // Images above the pixel limit: 413.
        let small = try LiveService(model: try ServedModel.host.get()) { $0.inference.maxImagePixels = 100_000 }
        defer { small.stop() }
        let answer = try small.curl(files.form, "/v1/match")
        #expect(answer.status == 413, "\(answer.text)")
        #expect(answer.text.contains("image-too-large"))
    }

    @Test func readinessWaitsForTheModelAndMatchAnswers503MeanwhileAndModelsDescribesIt() throws {
        let files = try PairFiles()
        defer { files.cleanUp() }
        let loading = try LiveService(model: ModelHost(state: .loading)) { $0.inference.retryAfterSeconds = 3 }
        defer { loading.stop() }
        let ready = try loading.get("/readyz")
        #expect(ready.status == 503 && ready.text.contains("loading"))
        let match = try loading.curl(files.form, "/v1/match")
        #expect(match.status == 503 && match.headers["retry-after"] == "3" && match.text.contains("model-loading"))
        #expect(try loading.get("/healthz").status == 200, "health answers while the model loads")

        try withService { service in
            #expect(try service.get("/readyz").status == 200)
            let models = try service.get("/v1/models")
            #expect(models.status == 200)
            let document = try JSONSerialization.jsonObject(with: models.body) as? [String: Any]
            let model = (document?["models"] as? [[String: Any]])?.first
            #expect(model?["name"] as? String == "dinov2-small")
            #expect((model?["forward_ms"] as? Double ?? 0) > 0)
            #expect(model?["input_long_side"] as? Int == 448)
            let precision = try #require(model?["precision"] as? String)
            #expect(["fp32", "bf16", "int8"].contains(precision), "the precision in force, never auto: \(precision)")
            #expect(try service.get("/metrics").text.contains("inference_backbone_precision{precision=\"\(precision)\"} 1"))
            #expect((model?["matcher"] as? [String: Any])?["layer"] as? Int == 9)
        }
    }

    @Test func aFullInferenceQueueAnswers503AndAJobWhoseClientLeftIsDropped() throws {
        let files = try PairFiles()
        defer { files.cleanUp() }
        let service = try LiveService(model: try ServedModel.host.get()) {
            $0.inference.workers = 1
            $0.inference.queueCapacity = 1
            $0.inference.retryAfterSeconds = 4
        }
        defer { service.stop() }
        // A real job holds the one inference worker until released.
        let release = DispatchSemaphore(value: 0), holding = DispatchSemaphore(value: 0)
        #expect(service.match.queue.trySubmit { holding.signal(); release.wait() })
        holding.wait()
        // One pair waits in the queue (its client gives up after 2 s and leaves)...
        let waiting = DispatchSemaphore(value: 0)
        let formArguments = files.form
        let port = service.server.port
        Thread {
            _ = try? Subprocess.run("/usr/bin/curl", ["--silent", "--max-time", "2"] + formArguments + ["http://127.0.0.1:\(port)/v1/match"])
            waiting.signal()
        }.start()
        var depth = 0
        for _ in 0..<100 where depth == 0 {
            Thread.sleep(forTimeInterval: 0.05)
            depth = service.match.queue.depth
        }
        #expect(depth == 1, "the first pair is queued behind the held job")
        // ...so the next finds the queue full.
        let refused = try service.curl(files.form, "/v1/match")
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "4")
        #expect(refused.text.contains("overloaded"))
        #expect(try service.get("/healthz").status == 200, "health never waits on inference")
        waiting.wait()
        release.signal()
        // The queued job starts after its client left: dropped, not computed.
        var dropped = false
        for _ in 0..<100 where !dropped {
            Thread.sleep(forTimeInterval: 0.05)
            dropped = try service.get("/metrics").text.contains("inference_dropped_total 1")
        }
        #expect(dropped)
        let metrics = try service.get("/metrics").text
        #expect(metrics.contains("inference_rejected_total 1"))
        #expect(metrics.contains("inference_queue_depth"))
        // The queue works again.
        #expect(try service.curl(files.form, "/v1/match").status == 200)
        #expect(try service.get("/metrics").text.contains("inference_stage_duration_seconds_bucket{stage=\"target_features\""))
    }
}
