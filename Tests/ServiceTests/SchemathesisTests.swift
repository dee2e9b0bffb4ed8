// The contract, tested: schemathesis (tooling venv) generates requests for every operation of
// the served openapi.yaml against the live server with the real model, as the admin and as a
// team, with every check it has (no 5xx, documented statuses, headers and content types,
// conformant bodies, schema-valid requests accepted and invalid ones refused, auth, …), but
// for the few exclusions below, each with its reason. A fixed seed keeps the run reproducible.
import Foundation
import TestSupport
import Testing
@testable import Service

@Suite(.serialized) struct SchemathesisTests {
    /// What JSON Schema cannot say: the one check left out on some operations, and why. The
    /// refusals are documented 4xx; every other check runs there, and everything runs elsewhere.
    static let exclusions: [(operation: String, check: String, reason: String)] = [
        ("addBenchmark", "positive_data_acceptance",
         "a schema-valid ground truth is refused (422 invalid-document) unless its pairs name images and categories it holds, "
            + "its instances their images, its keypoint lists the category's length: cross-references, not shapes"),
        ("postMatch", "positive_data_acceptance",
         "the annotations need a labelled keypoint inside the source image (400), whose size is in the image's bytes, "
            + "and keypoint lists of the category's length"),
        ("postPropose", "positive_data_acceptance",
         "a proposal needs decodable images, a labelled keypoint inside a reference image and keypoint lists of the names' "
            + "length, or the name of a stored set (404 otherwise): bytes and data, not shapes"),
        ("putReferenceSet", "positive_data_acceptance",
         "a set needs decodable images, a labelled keypoint inside one of them and keypoint lists of the names' length"),
        ("postLabelStudioSetup", "positive_data_acceptance",
         "the label config must be XML with the Image, KeyPointLabels and instance tags, and hostname a configured Label Studio host"),
        ("postLabelStudioPredict", "positive_data_acceptance", "the project must have been set up (POST /label-studio/setup) first: state, not shape"),
        ("postLabelStudioWebhook", "positive_data_acceptance", "an annotation event's project must have been set up first: state, not shape"),
        ("getLeaderboard", "positive_data_acceptance", "category must be one of this benchmark's categories (400): data, not schema"),
        ("getLeaderboardPage", "positive_data_acceptance", "category must be one of this benchmark's categories (400): data, not schema"),
    ]

    /// The exclusions as a schemathesis.toml: no `--checks` on the command line, which would
    /// turn them back on; every check is enabled by default.
    static var configuration: String {
        "[checks]\nenabled = true\n" + exclusions.map { exclusion in
            "\n# \(exclusion.reason)\n[[operations]]\ninclude-operation-id = \"\(exclusion.operation)\"\n"
                + "checks.\(exclusion.check).enabled = false\n"
        }.joined()
    }

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
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: reports) }
        let configuration = reports.appending(path: "schemathesis.toml")
        try Data(Self.configuration.utf8).write(to: configuration)
        for (role, bearer) in [("admin", admin), ("team", token)] {
            let result = try Subprocess.run(schemathesis, [
                "--config-file", configuration.path,
                "run", "\(base)/openapi.yaml", "--max-examples", "15", "--seed", "1", "-H", "Authorization: Bearer \(bearer)",
                "--report-dir", reports.appending(path: role).path, "--no-color",
            ], idleSeconds: 600)
            let tally = result.stdoutText.split(separator: "\n").last { $0.contains("generated") }.map(String.init) ?? ""
            print("schemathesis as \(role): \(tally.trimmingCharacters(in: .whitespaces))")
            #expect(result.stdoutText.contains("Configuration:") && result.stdoutText.contains("schemathesis.toml"), "the exclusions were not loaded")
            #expect(result.status == 0, "schemathesis as \(role) found failures:\n\(result.stdoutText.suffix(4000))")
            #expect(tally.contains("generated") && !tally.contains("found"), "\(tally)")
        }
    }
}
