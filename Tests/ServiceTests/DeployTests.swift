// Deploy/: the Kubernetes manifests validate against the Kubernetes schemas and carry what
// the service relies on (Tests/ServiceTests/deploy_check.py); the ConfigMap is Config/ now.
import Foundation
import TestSupport
import Testing

@Suite struct DeployTests {
    @Test func manifestsValidateAndCarryThePortsProbesRolesAndVolumes() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Repository.python.path), "no tooling venv: run make setup")
        let result = try Subprocess.run(Repository.python.path, [Repository.root.appending(path: "Tests/ServiceTests/deploy_check.py").path,
                                                                 Repository.root.appending(path: "Deploy").path])
        #expect(result.status == 0, "\(result.stdoutText) \(result.stderrText)")
        let summary = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        #expect(summary?["ok"] as? Bool == true && (summary?["documents"] as? Int ?? 0) >= 7)
    }

    @Test func theConfigMapIsTheRepositorysConfig() throws {
        let output = FileManager.default.temporaryDirectory.appending(path: "configmap-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: output) }
        let made = try Subprocess.run(Repository.root.appending(path: "Deploy/make-configmap").path, [output.path])
        #expect(made.status == 0, "\(made.stderrText)")
        let committed = try String(contentsOf: Repository.root.appending(path: "Deploy/kubernetes/configmap.yaml"), encoding: .utf8)
        #expect(try String(contentsOf: output, encoding: .utf8) == committed, "run Deploy/make-configmap after changing Config/")
    }
}
