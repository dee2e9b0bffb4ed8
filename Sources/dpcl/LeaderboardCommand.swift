// `dpcl leaderboard …`: the operator's side of the leaderboard, on the data directory
// directly (SQLite in WAL mode, so a running server may share it).
import ArgumentParser
import Evaluation
import Foundation
import Leaderboard

struct LeaderboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Create teams, add benchmarks, list them (on the data directory, or with --server through a running server's API), and submit the baseline (data directory).",
        subcommands: [CreateTeam.self, AddBenchmark.self, List.self, SubmitBaseline.self]
    )

    struct Location: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The service's data directory (data_dir of its config).")
        var dataDir = "var"

        @Option(help: "Work through this running server's API instead (http://HOST:PORT), with the admin token.")
        var server: String?

        @Option(help: "The admin token for --server (default: $DPCL_ADMIN_TOKEN).")
        var token: String?

        func store() throws -> Store {
            do { return try Store(directory: dataDir) } catch { throw ValidationError("cannot open the leaderboard in \(dataDir): \(error)") }
        }

        /// The API client when --server is given.
        func client() throws -> APIClient? {
            guard let server else { return nil }
            guard let base = URL(string: server), base.scheme == "http" || base.scheme == "https" else {
                throw ValidationError("--server must be an http(s) URL such as http://localhost:8080")
            }
            guard let token = token ?? ProcessInfo.processInfo.environment["DPCL_ADMIN_TOKEN"], !token.isEmpty else {
                throw ValidationError("--server needs the admin token: --token or $DPCL_ADMIN_TOKEN")
            }
            return APIClient(base: base, token: token)
        }
    }

    struct CreateTeam: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-team", abstract: "Create a team and print its token (shown this once).")
        @Argument(help: "Team name: 1–64 characters of a–z, 0–9, '-', '_', '.'.") var name: String
        @OptionGroup var location: Location

        func run() throws {
            let token: String
            if let client = try location.client() {
                let body = try JSONSerialization.data(withJSONObject: ["name": name])
                token = try client.send("POST", "/v1/teams", body: body, contentType: "application/json").json?["token"] as? String ?? ""
            } else {
                token = try location.store().createTeam(name: name).token
            }
            print("team \(name) created; its token (store it now, it is not shown again):\n\(token)")
        }
    }

    struct AddBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-benchmark",
            abstract: "Add a benchmark from its misc-pairs/v1 ground truth and the images next to it.")
        @Argument(help: "The ground truth (misc-pairs/v1); its images are read relative to its folder.") var pairs: String
        @Option(help: "Title shown on the leaderboard (default: the benchmark's name).") var title: String?
        @Option(help: "A line describing the benchmark.") var description = ""
        @Flag(help: "Known to admins only.") var hidden = false
        @Flag(help: "Add it even when its public inputs carry target instances (an image that is one pair's target and another's source): recorded and shown on its page.")
        var allowLeak = false
        @OptionGroup var location: Location

        func run() throws {
            if let client = try location.client() { return try runThroughAPI(client) }
            let store = try location.store()
            let info = try store.addBenchmark(groundTruth: pairs, title: title, description: description,
                                              visibility: hidden ? .hidden : .public, allowLeak: allowLeak)
            let folder = URL(fileURLWithPath: pairs).deletingLastPathComponent().path
            var missing = 0
            for image in try store.images(of: info.name) {
                // A split's images may be links (`dpcl pairs from-coco`): the file they name is stored.
                let path = URL(fileURLWithPath: folder + "/" + image.file).resolvingSymlinksInPath().path
                guard FileManager.default.fileExists(atPath: path) else { missing += 1; continue }
                // The store moves what it is given: a copy.
                let copy = store.uploadDirectory + "/.add-\(UUID().uuidString)"
                try FileManager.default.copyItem(atPath: path, toPath: copy)
                try store.putImage(benchmark: info.name, file: image.file, from: copy, sha256: try Digest.sha256(file: copy))
            }
            print("benchmark \(info.name) added: \(info.pair_count) pairs, categories \(info.categoryNames.joined(separator: ", "))"
                  + (missing > 0 ? "; \(missing) images missing (upload them with PUT /v1/benchmarks/\(info.name)/images/FILE)" : "")
                  + "; " + Self.leakLine(info.leak))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List benchmarks, teams and submissions.")
        @OptionGroup var location: Location

        func run() throws {
            if let client = try location.client() {
                print("benchmarks:")
                for benchmark in (try client.send("GET", "/v1/benchmarks")).json?["benchmarks"] as? [[String: Any]] ?? [] {
                    print("  \(benchmark["name"] ?? "")  \(benchmark["visibility"] ?? "")  \(benchmark["pairs"] ?? 0) pairs  images \(benchmark["images_uploaded"] ?? 0)/\(benchmark["images"] ?? 0)  \(benchmark["title"] ?? "")")
                }
                print("teams:")
                for team in (try client.send("GET", "/v1/teams")).json?["teams"] as? [[String: Any]] ?? [] {
                    print("  \(team["name"] ?? "")  created \(team["created"] ?? "")")
                }
                return
            }
            let store = try location.store()
            let teams = try store.teams()
            let names = Dictionary(uniqueKeysWithValues: teams.compactMap { team in team.id.map { ($0, team.name) } })
            print("benchmarks:")
            for info in try store.benchmarks(includeHidden: true) {
                let images = try store.images(of: info.name)
                print("  \(info.name)  \(info.visibility)  \(info.pair_count) pairs  images \(images.filter { $0.sha256 != nil }.count)/\(images.count)  \(info.title)")
            }
            print("teams:")
            for team in teams { print("  \(team.name)  created \(team.created)") }
            print("submissions:")
            for submission in try store.submissions() {
                print("  \(submission.id ?? 0)  \(submission.benchmark)  \(names[submission.team] ?? "?")  \(submission.status)  \(submission.method)"
                      + (submission.error.map { "  (\($0))" } ?? ""))
            }
        }
    }

    struct SubmitBaseline: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit-baseline",
            abstract: "Run the default matcher on a benchmark's inputs, submit the predictions as team 'baseline' and score them.")
        @Option(help: "The benchmark.") var benchmark: String
        @OptionGroup var location: Location
        @OptionGroup var backbone: BackboneOptions

        func run() throws {
            guard location.server == nil else { throw ValidationError("submit-baseline runs on the data directory: leave out --server") }
            let store = try location.store()
            guard let info = try store.benchmark(named: benchmark) else { throw ValidationError("no benchmark named \(benchmark)") }
            let missing = try store.images(of: benchmark).filter { $0.sha256 == nil }
            guard missing.isEmpty else { throw ValidationError("\(missing.count) images of \(benchmark) are not uploaded yet") }
            // The inputs beside the images, where `dpcl match --pairs` resolves them.
            let folder = store.imagePath(benchmark: benchmark, file: "")
            let inputs = folder + ".baseline-pairs.json", predictions = store.uploadDirectory + "/.baseline-\(UUID().uuidString).json"
            try FileManager.default.copyItem(atPath: store.inputsPath(info), toPath: inputs)
            defer { try? FileManager.default.removeItem(atPath: inputs) }
            let match = try MatchCommand.parse(["--pairs", inputs, "--out", predictions, "--method", "dpcl zero-shot (baseline)"]
                + backbone.arguments)
            try match.run()
            let team = try store.team(named: "baseline") ?? store.createTeam(name: "baseline").team
            var request = SubmissionRequest(benchmark: benchmark, team: team, file: predictions,
                                            size: Int64(try FileManager.default.attributesOfItem(atPath: predictions)[.size] as? Int ?? 0),
                                            sha256: try Digest.sha256(file: predictions))
            request.description = "the default matcher of this service, zero-shot"
            let (submission, _) = try store.submit(request, quota: 0)
            let jobs = EvaluationJobs(store: store, workers: 1)
            while try jobs.runNext() {}
            guard let done = try store.submission(id: submission.id ?? 0) else { return }
            print("baseline submission \(done.id ?? 0) to \(benchmark): \(done.status)" + (done.error.map { " (\($0))" } ?? ""))
        }
    }
}

extension LeaderboardCommand.AddBenchmark {
    /// POST the ground truth, then PUT every image found next to it.
    func runThroughAPI(_ client: APIClient) throws {
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "title", value: title), URLQueryItem(name: "description", value: description),
                            URLQueryItem(name: "visibility", value: hidden ? "hidden" : "public"),
                            URLQueryItem(name: "allow_leak", value: allowLeak ? "1" : nil)].filter { $0.value != nil }
        let added = try client.send("POST", "/v1/benchmarks" + (query.string ?? ""), file: URL(fileURLWithPath: pairs),
                                    contentType: "application/json")
        guard let name = added.json?["name"] as? String else { throw ValidationError("the server's answer names no benchmark") }
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: pairs))) as? [String: Any]
        let folder = URL(fileURLWithPath: pairs).deletingLastPathComponent()
        var missing = 0
        for file in ((document?["images"] as? [[String: Any]]) ?? []).compactMap({ $0["file"] as? String }) {
            // A link (`dpcl pairs from-coco`) is uploaded as the file it names.
            let path = folder.appendingPathComponent(file).resolvingSymlinksInPath()
            guard FileManager.default.fileExists(atPath: path.path) else { missing += 1; continue }
            let encoded = file.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
            _ = try client.send("PUT", "/v1/benchmarks/\(name)/images/" + encoded.joined(separator: "/"), file: path)
        }
        let leak = (added.json?["leak"] as? [String: Any]).flatMap { leak in
            (leak["target_instances"] as? Int).flatMap { total in
                (leak["leaked_instances"] as? Int).map { Leak(targetInstances: total, leakedInstances: $0) }
            }
        }
        print("benchmark \(name) added: \(added.json?["pairs"] as? Int ?? 0) pairs" + (missing > 0 ? "; \(missing) images missing" : "")
              + "; " + Self.leakLine(leak))
    }

    /// The leak as the command reports it.
    static func leakLine(_ leak: Leak?) -> String {
        guard let leak else { return "leak not measured" }
        return leak.leakedInstances == 0 ? "leak 0: no target instance appears in the public inputs"
            : "leak allowed: \(leak.summary) appear in the public inputs"
    }
}
