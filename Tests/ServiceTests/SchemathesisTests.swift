// The contract, tested: schemathesis (tooling venv) generates requests for every operation of
// the served openapi.yaml against the live server with the real model, as the admin and as a
// team, and checks no 5xx, documented status codes only, and schema- and content-type-
// conformant responses. A fixed seed keeps the run reproducible.
import Foundation
import TestSupport
import Testing
@testable import Service

@Suite(.serialized) struct SchemathesisTests {
    @Test func everyOperationAnswersAsTheContractSays() throws {
        let admin = "schemathesis-admin"
        let service = try LiveService(model: try ServedModel.host.get()) { configuration in
            configuration.leaderboard.adminToken = admin
            configuration.leaderboard.submissionQuota = 0
            configuration.examplesDirectory = Repository.shared.appending(path: "data").path
        }
        defer { service.stop() }
        let base = "http://127.0.0.1:\(service.server.port)"
        // Something to find: a team and a benchmark.
        let token = try #require(try service.createTeam("contract", admin: admin))
        #expect(try service.addBenchmark(Repository.shared.appending(path: "data/coco-person-dev/pairs.json").path, admin: admin).status == 201)
        let schemathesis = Repository.root.appending(path: ".venv/bin/schemathesis").path
        #expect(FileManager.default.isExecutableFile(atPath: schemathesis), "no schemathesis in the tooling venv: run make setup")
        let reports = FileManager.default.temporaryDirectory.appending(path: "schemathesis-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: reports) }
        for (role, bearer) in [("admin", admin), ("team", token)] {
            let result = try Subprocess.run(schemathesis, [
                "run", "\(base)/openapi.yaml", "--max-examples", "15", "--seed", "1", "-H", "Authorization: Bearer \(bearer)",
                "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
                "--report-dir", reports.appending(path: role).path, "--no-color",
            ], idleSeconds: 600)
            let tally = result.stdoutText.split(separator: "\n").last { $0.contains("generated") }.map(String.init) ?? ""
            print("schemathesis as \(role): \(tally.trimmingCharacters(in: .whitespaces))")
            #expect(result.status == 0, "schemathesis as \(role) found failures:\n\(result.stdoutText.suffix(4000))")
            #expect(tally.contains("generated") && !tally.contains("found"), "\(tally)")
        }
    }
}
