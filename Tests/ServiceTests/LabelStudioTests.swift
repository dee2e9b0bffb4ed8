// The Label Studio ML backend (/label-studio/...): its protocol on a live server (health
// without the model, setup refusing configs it cannot serve and hosts nobody configured,
// webhooks answered at once), and the whole flow against a real Label Studio, for a
// RectangleLabels and a BrushLabels project (Tests/ServiceTests/label_studio_check.py), which
// leaves a screenshot in test-artifacts/.
import Foundation
import TestSupport
import Testing
@testable import Service
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct LabelStudioTests {
    static let config = """
        <View><Image name="image" value="$image"/>\
        <RectangleLabels name="person" toName="image"><Label value="person"/></RectangleLabels>\
        <KeyPointLabels name="keypoints" toName="image"><Label value="nose"/><Label value="left_eye"/></KeyPointLabels></View>
        """

    static func post(_ service: LiveService, _ path: String, _ body: [String: Any]) throws -> Fetched {
        let file = NSTemporaryDirectory() + "ls-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: body).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try service.curl(["-H", "Content-Type: application/json", "--data-binary", "@" + file], path)
    }

    static func code(_ fetched: Fetched) -> String? {
        ((try? JSONSerialization.jsonObject(with: fetched.body) as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    @Test func theProtocolRefusesWhatItCannotServeAndFetchesOnlyFromConfiguredHosts() throws {
        // No model at all: /health still answers at once.
        let bare = try LiveService { $0.labelStudioHosts = ["http://127.0.0.1:9"] }
        defer { bare.stop() }
        let health = try bare.get("/label-studio/health")
        #expect(health.status == 200 && health.text.contains("\"UP\""))

        let service = try LiveService(model: try ServedModel.host.get()) { $0.labelStudioHosts = ["http://127.0.0.1:9"] }
        defer { service.stop() }
        let good: [String: Any] = ["project": "3.1796247428", "schema": Self.config, "hostname": "http://127.0.0.1:9", "access_token": "t"]
        let ready = try Self.post(service, "/label-studio/setup", good)
        #expect(ready.status == 200 && ready.text.contains("dpcl-dinov2-small"), "\(ready.text)")

        var noKeypoints = good
        noKeypoints["schema"] = #"<View><Image name="image" value="$image"/><RectangleLabels name="p" toName="image"><Label value="p"/></RectangleLabels></View>"#
        let missing = try Self.post(service, "/label-studio/setup", noKeypoints)
        #expect(missing.status == 400 && missing.text.contains("KeyPointLabels"), "\(missing.text)")
        var noInstances = good
        noInstances["schema"] = #"<View><Image name="image" value="$image"/><KeyPointLabels name="k" toName="image"><Label value="a"/></KeyPointLabels></View>"#
        #expect(try Self.post(service, "/label-studio/setup", noInstances).text.contains("RectangleLabels, PolygonLabels or BrushLabels"))

        // The unauthenticated /setup cannot point the backend at another host.
        var elsewhere = good
        elsewhere["hostname"] = "http://127.0.0.2:9"
        let refused = try Self.post(service, "/label-studio/setup", elsewhere)
        #expect(refused.status == 400 && Self.code(refused) == "host-not-allowed" && refused.text.contains("127.0.0.2"), "\(refused.text)")

        // Nor can a task: an absolute image URL elsewhere is refused before any fetch. A set
        // exists for project 3 so that predicting needs the image.
        let files = try ReferenceFiles()
        defer { files.cleanUp() }
        #expect(try service.curl(ProposeEndpointTests.json(try files.jsonBody(count: 1, target: false)), "/v1/references/label-studio-3").status == 201)
        let task: [String: Any] = ["id": 1, "data": ["image": "http://169.254.169.254/latest/meta-data"]]
        let steered = try Self.post(service, "/label-studio/predict", ["tasks": [task], "project": "3.1796247428"])
        #expect(steered.status == 400 && Self.code(steered) == "host-not-allowed", "\(steered.text)")
        // A configured host that refuses is a clear 502.
        let down = try Self.post(service, "/label-studio/predict", ["tasks": [["id": 1, "data": ["image": "/data/upload/1/a.jpg"]]], "project": "3"])
        #expect(down.status == 502 && Self.code(down) == "label-studio-refused", "\(down.text)")

        let unknown = try Self.post(service, "/label-studio/predict", ["tasks": [task], "project": "99.1"])
        #expect(unknown.status == 400 && Self.code(unknown) == "unknown-project")
        let ignored = try Self.post(service, "/label-studio/webhook", ["action": "PROJECT_UPDATED", "project": ["id": 3]])
        #expect(ignored.status == 200 && ignored.text.contains("ignored"))
    }

    /// A free loopback port, for Label Studio (the backend must know its host before it starts).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aRealLabelStudioGetsEveryInstancesKeypointsAsProposed() throws {
        let venv = Repository.root.appending(path: ".venv-label-studio")
        #expect(FileManager.default.isExecutableFile(atPath: venv.appending(path: "bin/label-studio").path),
                "no Label Studio: run scripts/setup-label-studio")
        let port = try Self.freePort()
        let service = try LiveService(model: try ServedModel.host.get()) { $0.labelStudioHosts = ["http://127.0.0.1:\(port)"] }
        defer { service.stop() }
        let work = FileManager.default.temporaryDirectory.appending(path: "label-studio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let template = FileManager.default.homeDirectoryForCurrentUser.appending(path: ".cache/dpcl/label-studio-1.23.2-template")
        let result = try Subprocess.run(Repository.python.path, [
            Repository.root.appending(path: "Tests/ServiceTests/label_studio_check.py").path,
            "--venv", venv.path, "--port", String(port), "--service", "http://127.0.0.1:\(service.server.port)",
            "--split", Repository.shared.appending(path: "data/coco-person-dev").path, "--work", work.path,
            "--artifacts", Repository.root.appending(path: "test-artifacts").path, "--template", template.path,
        ], idleSeconds: 300)
        print(result.stdoutText)
        #expect(result.status == 0, "\(result.stdoutText.suffix(3000)) \(result.stderrText.suffix(3000))")
        #expect(FileManager.default.fileExists(atPath: Repository.root.appending(path: "test-artifacts/label-studio-predictions.png").path))
    }
}
