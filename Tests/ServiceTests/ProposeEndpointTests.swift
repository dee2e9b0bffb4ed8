// POST /v1/propose and the stored reference sets on a live server with the default model,
// through curl: coco-person-dev images as references (inline as JSON and as multipart, and
// stored), the answer scored by `dpcl eval`, a set surviving a restart, the bounds (413 with
// the limit) and the errors.
import Foundation
import Matching
import TestSupport
import Testing
@testable import Service

/// coco-person-dev: its first three images as references of the fourth (five people).
struct ReferenceFiles {
    let folder = Repository.shared.appendingPathComponent("data/coco-person-dev")
    let document: [String: Any]
    let images: [[String: Any]]
    let directory: String

    init() throws {
        document = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("pairs.json"))) as! [String: Any]
        images = document["images"] as! [[String: Any]]
        directory = NSTemporaryDirectory() + "dpcl-propose-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var target: String { path(images[3]) }
    var referenceImages: [[String: Any]] { Array(images[0..<3]) }

    func path(_ image: [String: Any]) -> String { folder.appendingPathComponent(image["file"] as! String).path }

    func annotations(_ image: [String: Any]) -> [String: Any] {
        let category = (document["categories"] as! [[String: Any]])[0]
        let instances = (document["instances"] as! [[String: Any]]).filter { $0["image"] as? String == image["id"] as? String }
        return ["category": "person", "keypoints": category["keypoints"]!,
                "instances": instances.map { $0.filter { ["id", "keypoints", "segmentation", "bbox"].contains($0.key) } }]
    }

    func write(_ object: Any, _ name: String) throws -> String {
        let path = directory + "/" + name
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `{"references": [...]}` (plus `extra`) as a JSON body file.
    func jsonBody(count: Int = 3, target: Bool = true, extra: [String: Any] = [:]) throws -> String {
        var body: [String: Any] = extra
        body["references"] = try referenceImages.prefix(count).map { image in
            ["image": try Data(contentsOf: URL(fileURLWithPath: path(image))).base64EncodedString(), "annotations": annotations(image)]
        }
        if target { body["target"] = try Data(contentsOf: URL(fileURLWithPath: self.target)).base64EncodedString() }
        return try write(body, "body-\(UUID().uuidString).json")
    }

    /// The same as curl -F arguments: image parts ref0, ref1, ... named by `references`.
    func form(count: Int = 3) throws -> [String] {
        var arguments = ["-F", "target=@\(target)"]
        var entries: [[String: Any]] = []
        for (index, image) in referenceImages.prefix(count).enumerated() {
            arguments += ["-F", "ref\(index)=@\(path(image))"]
            entries.append(["image": "ref\(index)", "annotations": annotations(image)])
        }
        return arguments + ["-F", "references=@\(try write(entries, "references.json"));type=application/json"]
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
}

struct ProposeAnswerDocument: Decodable {
    struct Point: Decodable, Equatable { let keypoint: Int, name: String, x: Double, y: Double, score: Double }
    struct Instance: Decodable { let id: Int, score: Double, bbox: [Double], keypoints: [Point] }
    let model: String
    let category: String
    let keypoints: [String]
    let instances: [Instance]
    let matches: [MatchAnswerDocument.Match]
    struct Reference: Decodable { let width: Int, height: Int, instances: [Int] }
    let references: [Reference]
}

@Suite(.serialized) struct ProposeEndpointTests {
    static func json(_ path: String) -> [String] { ["-H", "Content-Type: application/json", "--data-binary", "@" + path] }

    @Test func inlineReferencesAsJSONAndMultipartGiveOneProposalPerKeypointThatTheMetricScores() throws {
        let files = try ReferenceFiles()
        defer { files.cleanUp() }
        let service = try LiveService(model: try ServedModel.host.get())
        defer { service.stop() }
        let answered = try service.curl(Self.json(try files.jsonBody()), "/v1/propose")
        #expect(answered.status == 200, "\(answered.text)")
        let answer = try JSONDecoder().decode(ProposeAnswerDocument.self, from: answered.body)
        #expect(answer.category == "person" && answer.keypoints.count == 17)
        #expect(answer.references.map(\.instances.count) == [1, 2, 4])
        #expect(answer.instances.count >= 2, "five people are more than one instance")
        #expect(answer.instances.map(\.score) == answer.instances.map(\.score).sorted(by: >), "ordered by score")
        for instance in answer.instances {
            #expect(Set(instance.keypoints.map(\.keypoint)).count == instance.keypoints.count, "at most one per keypoint")
            #expect(instance.keypoints.allSatisfy { answer.keypoints[$0.keypoint] == $0.name })
        }
        let form = try service.curl(try files.form(), "/v1/propose")
        #expect(form.status == 200, "\(form.text)")
        let same = try JSONDecoder().decode(ProposeAnswerDocument.self, from: form.body)
        #expect(same.matches == answer.matches && same.instances.map(\.keypoints) == answer.instances.map(\.keypoints))

        // The answer's matches and instances are a misc-predictions/v1 entry: scored on the
        // split's pair (first reference → target) by dpcl eval.
        let pair = try #require((files.document["pairs"] as! [[String: Any]]).first {
            $0["source"] as? String == files.images[0]["id"] as? String && $0["target"] as? String == files.images[3]["id"] as? String
        })
        var truth = files.document
        truth["pairs"] = [pair]
        let sources = Set((files.annotations(files.images[0])["instances"] as! [[String: Any]]).map { $0["id"] as! Int })
        let raw = try JSONSerialization.jsonObject(with: answered.body) as! [String: Any]
        let entry: [String: Any] = ["pair": pair["id"]!, "instances": raw["instances"]!,
                                    "matches": (raw["matches"] as! [[String: Any]]).filter { sources.contains($0["source_instance"] as! Int) }]
        let gt = try files.write(truth, "gt.json")
        let predictions = try files.write(["format": "misc-predictions/v1", "benchmark": truth["name"]!, "method": "proposals",
                                           "pairs": [entry]], "pred.json")
        let scored = try Subprocess.run(Repository.builtProduct("dpcl"), ["eval", "--json", gt, predictions])
        #expect(scored.status == 0, "\(scored.stderrText)")
        let scores = try JSONSerialization.jsonObject(with: scored.stdout) as! [String: Any]
        let f1 = (((scores["overall"] as! [String: Any])["alphas"] as! [String: Any])["0.10"] as! [String: Any])["f1"] as! Double
        #expect(f1 > 0.3, "the proposals find the people (F1@0.10 \(f1))")

        // Every match instead of the proposals: more of them, each labelled.
        let every = try service.curl(Self.json(try files.jsonBody()), "/v1/propose?matches=all")
        let all = try JSONDecoder().decode(ProposeAnswerDocument.self, from: every.body)
        #expect(all.matches.count > 0 && all.instances.map(\.id) == answer.instances.map(\.id))
        #expect(try service.curl(Self.json(try files.jsonBody()), "/v1/propose?matches=some").status == 400)
    }

    @Test func aStoredSetSurvivesARestartAndProposesAsTheInlineSetDoes() throws {
        let files = try ReferenceFiles()
        defer { files.cleanUp() }
        let data = FileManager.default.temporaryDirectory.appending(path: "dpcl-references-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let inline: [MatchAnswerDocument.Match]
        do {
            let service = try LiveService(dataDirectory: data, model: try ServedModel.host.get())
            defer { service.server.shutdown(); service.server.waitUntilStopped() }
            let created = try service.curl(Self.json(try files.jsonBody(target: false)), "/v1/references/people")
            #expect(created.status == 201, "\(created.text)")
            let summary = try JSONSerialization.jsonObject(with: created.body) as! [String: Any]
            #expect(summary["images"] as? Int == 3 && summary["instances"] as? Int == 7 && summary["category"] as? String == "person")
            inline = try JSONDecoder().decode(ProposeAnswerDocument.self,
                                              from: service.curl(Self.json(try files.jsonBody()), "/v1/propose").body).matches
        }
        let service = try LiveService(dataDirectory: data, model: try ServedModel.host.get())
        defer { service.stop() }
        let listed = try service.get("/v1/references")
        #expect(listed.status == 200 && listed.text.contains("\"people\""), "\(listed.text)")
        let body = try files.write(["target": try Data(contentsOf: URL(fileURLWithPath: files.target)).base64EncodedString(), "set": "people"],
                                   "by-name.json")
        let stored = try service.curl(Self.json(body), "/v1/propose")
        #expect(stored.status == 200, "\(stored.text)")
        #expect(try JSONDecoder().decode(ProposeAnswerDocument.self, from: stored.body).matches == inline)
        let byForm = try service.curl(["-F", "target=@\(files.target)", "-F", "set=people"], "/v1/propose")
        #expect(try JSONDecoder().decode(ProposeAnswerDocument.self, from: byForm.body).matches == inline)

        #expect(try service.get("/v1/references/people", method: "DELETE").status == 204)
        #expect(try service.get("/v1/references/people").status == 404)
        #expect(try service.curl(Self.json(body), "/v1/propose").status == 404)
    }

    @Test func setsOverTheirBoundsAnswer413WithTheLimit() throws {
        let files = try ReferenceFiles()
        defer { files.cleanUp() }
        let service = try LiveService(model: try ServedModel.host.get()) { configuration in
            configuration.inference.maxReferenceSets = 1
            configuration.inference.maxReferenceSetBytes = 200_000
        }
        defer { service.stop() }
        let large = try service.curl(Self.json(try files.jsonBody(target: false)), "/v1/references/large")
        #expect(large.status == 413 && large.text.contains("the limit is 200000"), "\(large.text)")
        #expect(try service.curl(Self.json(try files.jsonBody(count: 1, target: false)), "/v1/references/one").status == 201)
        // Replacing the one set is within the count; a second is not.
        #expect(try service.curl(Self.json(try files.jsonBody(count: 1, target: false)), "/v1/references/one").status == 201)
        let second = try service.curl(Self.json(try files.jsonBody(count: 1, target: false)), "/v1/references/two")
        #expect(second.status == 413 && second.text.contains("the limit is 1"), "\(second.text)")
    }

    @Test func badProposalsGetPreciseErrors() throws {
        let files = try ReferenceFiles()
        defer { files.cleanUp() }
        let service = try LiveService(model: try ServedModel.host.get())
        defer { service.stop() }
        func code(_ fetched: Fetched) -> String? {
            ((try? JSONSerialization.jsonObject(with: fetched.body) as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
        }
        let both = try service.curl(Self.json(try files.jsonBody(count: 1, extra: ["set": "people"])), "/v1/propose")
        #expect(both.status == 400 && code(both) == "invalid-references")
        let body = try files.write(["target": try Data(contentsOf: URL(fileURLWithPath: files.target)).base64EncodedString(), "set": "nobody"],
                                   "nobody.json")
        #expect(try service.curl(Self.json(body), "/v1/propose").status == 404)
        let noTarget = try service.curl(Self.json(try files.jsonBody(count: 1, target: false)), "/v1/propose")
        #expect(noTarget.status == 400 && code(noTarget) == "missing-part")
        let badName = try service.curl(Self.json(try files.jsonBody(count: 1, target: false)), "/v1/references/Bad%20Name")
        #expect(badName.status == 400 && code(badName) == "invalid-name")
        var mixed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try files.jsonBody(count: 2)))) as! [String: Any]
        var references = mixed["references"] as! [[String: Any]]
        var other = references[1]["annotations"] as! [String: Any]
        other["category"] = "horse"
        references[1]["annotations"] = other
        mixed["references"] = references
        let category = try service.curl(Self.json(try files.write(mixed, "mixed.json")), "/v1/propose")
        #expect(category.status == 400 && code(category) == "invalid-references" && category.text.contains("one category"))
        let missingPart = try service.curl(["-F", "target=@\(files.target)", "-F",
                                            "references=[{\"image\":\"nowhere\",\"annotations\":{\"category\":\"person\",\"keypoints\":[\"a\"],\"instances\":[]}}];type=application/json"],
                                           "/v1/propose")
        #expect(missingPart.status == 400 && code(missingPart) == "missing-part", "\(missingPart.text)")
    }

    @Test func dpclProposeAnswersAsTheServerDoesAndWritesAPredictionsEntry() throws {
        let files = try ReferenceFiles()
        defer { files.cleanUp() }
        let service = try LiveService(model: try ServedModel.host.get())
        defer { service.stop() }
        let served = try JSONDecoder().decode(ProposeAnswerDocument.self,
                                              from: service.curl(Self.json(try files.jsonBody(count: 2)), "/v1/propose").body)
        var arguments = ["propose", "--target", files.target]
        for (index, image) in files.referenceImages.prefix(2).enumerated() {
            arguments += ["--reference", files.path(image), "--annotations", try files.write(files.annotations(image), "a\(index).json")]
        }
        let local = try Subprocess.run(Repository.builtProduct("dpcl"), arguments)
        #expect(local.status == 0, "\(local.stderrText)")
        let answer = try JSONDecoder().decode(ProposeAnswerDocument.self, from: local.stdout)
        #expect(answer.matches == served.matches && answer.instances.map(\.keypoints) == served.instances.map(\.keypoints))

        let entry = try Subprocess.run(Repository.builtProduct("dpcl"), arguments + ["--pair", "person-0003"])
        let object = try JSONSerialization.jsonObject(with: entry.stdout) as? [String: Any]
        #expect(object?["pair"] as? String == "person-0003")
        #expect((object?["matches"] as? [Any])?.count == served.matches.count)
        let refused = try Subprocess.run(Repository.builtProduct("dpcl"), ["propose", "--target", files.target, "--reference", files.target])
        #expect(refused.status != 0 && refused.stderrText.contains("one --annotations per --reference"), "\(refused.stderrText)")
    }
}
