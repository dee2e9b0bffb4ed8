// Benchmarks: a misc-pairs/v1 ground truth, checked by the Evaluation module and kept by
// content hash (never served), the public inputs derived from it once, and its images.
import Evaluation
import Foundation
import GRDB
import Imaging

public struct BenchmarkInfo: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "benchmark"
    public let name: String
    public let title: String
    public let description: String
    public let created: String
    public let visibility: String
    let ground_truth_sha256: String
    let inputs_sha256: String
    /// The categories' names, as a JSON array.
    let categories: String
    public let pair_count: Int
    /// The leak (`Leak`), measured when the benchmark was added; nil for one added before
    /// the leak was measured.
    let leak_target_instances: Int?
    let leak_leaked_instances: Int?
    /// The operator added it knowing it leaks (`--allow-leak`).
    public let leak_allowed: Bool

    public var leak: Leak? {
        guard let total = leak_target_instances, let leaked = leak_leaked_instances else { return nil }
        return Leak(targetInstances: total, leakedInstances: leaked)
    }

    public var categoryNames: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(categories.utf8))) ?? []
    }
}

public struct BenchmarkImage: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "benchmark_image"
    public let benchmark: String
    public let file: String
    public let width: Int
    public let height: Int
    /// Set once the image is uploaded.
    public var sha256: String?
}

public enum Visibility: String, Sendable, CaseIterable {
    /// Listed, inputs downloadable by every team.
    case `public`
    /// Known to admins only until made public.
    case hidden
}

extension Store {
    /// Adds the benchmark in the misc-pairs/v1 file at `path` (moved into the store when
    /// `move`, else copied). Its name is the document's `name`. One whose public inputs carry
    /// target instances is refused unless `allowLeak`: a team could submit the truth.
    public func addBenchmark(groundTruth path: String, move: Bool = false, title: String? = nil, description: String = "",
                             visibility: Visibility = .public, allowLeak: Bool = false) throws -> BenchmarkInfo {
        let benchmark: Benchmark
        do {
            benchmark = try GroundTruthReader.read(path: path)
        } catch let error as InputError {
            throw LeaderboardError.invalidDocument("the ground truth is not a valid misc-pairs/v1 document: \(error)")
        }
        try Names.check(benchmark.name, field: "name")
        if try self.benchmark(named: benchmark.name) != nil { throw LeaderboardError.alreadyExists(what: "benchmark", name: benchmark.name) }
        let truth = try Data(contentsOf: URL(fileURLWithPath: path))
        let (inputs, images, leak) = try BenchmarkInputs.make(groundTruth: truth)
        if leak.leakedInstances > 0 && !allowLeak { throw LeaderboardError.leaksTruth(leak) }
        let truthHash = Digest.sha256(Array(truth))
        let inputsHash = Digest.sha256(inputs)
        let truthPath = self.path(.groundTruth, truthHash + ".json")
        if !FileManager.default.fileExists(atPath: truthPath) {
            if move { try FileManager.default.moveItem(atPath: path, toPath: truthPath) } else { try FileManager.default.copyItem(atPath: path, toPath: truthPath) }
        }
        try Data(inputs).write(to: URL(fileURLWithPath: self.path(.inputs, inputsHash + ".json")), options: .atomic)
        let categories = String(decoding: try JSONEncoder().encode(benchmark.categories.map(\.name)), as: UTF8.self)
        let info = BenchmarkInfo(name: benchmark.name, title: title ?? benchmark.name, description: description,
                                 created: Self.timestamp(now()), visibility: visibility.rawValue,
                                 ground_truth_sha256: truthHash, inputs_sha256: inputsHash, categories: categories,
                                 pair_count: benchmark.pairs.count, leak_target_instances: leak.targetInstances,
                                 leak_leaked_instances: leak.leakedInstances, leak_allowed: allowLeak && leak.leakedInstances > 0)
        do {
            try database.write { db in
                try info.insert(db)
                for image in images {
                    try BenchmarkImage(benchmark: info.name, file: image.file, width: image.width, height: image.height, sha256: nil).insert(db)
                }
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw LeaderboardError.alreadyExists(what: "benchmark", name: info.name)
        }
        return info
    }

    public func benchmarks(includeHidden: Bool) throws -> [BenchmarkInfo] {
        try database.read { db in
            var request = BenchmarkInfo.order(Column("created"), Column("name"))
            if !includeHidden { request = request.filter(Column("visibility") == Visibility.public.rawValue) }
            return try request.fetchAll(db)
        }
    }

    public func benchmark(named name: String) throws -> BenchmarkInfo? {
        try database.read { db in try BenchmarkInfo.fetchOne(db, key: name) }
    }

    public func images(of benchmark: String) throws -> [BenchmarkImage] {
        try database.read { db in try BenchmarkImage.filter(Column("benchmark") == benchmark).order(Column("file")).fetchAll(db) }
    }

    /// The ground truth file of a benchmark (for the evaluation worker only).
    func groundTruthPath(_ info: BenchmarkInfo) -> String { path(.groundTruth, info.ground_truth_sha256 + ".json") }

    /// The public inputs document: pairs, images and source instances, no target truth.
    public func inputsPath(_ info: BenchmarkInfo) -> String { path(.inputs, info.inputs_sha256 + ".json") }

    /// Stores an uploaded image of the benchmark: it must be one of its files and decode
    /// (JPEG or PNG) to the size the benchmark states.
    public func putImage(benchmark name: String, file: String, from upload: String, sha256: String) throws {
        guard let image = try database.read({ db in try BenchmarkImage.fetchOne(db, key: ["benchmark": name, "file": file]) }) else {
            if try benchmark(named: name) == nil { throw LeaderboardError.notFound(what: "benchmark", name: name) }
            throw LeaderboardError.notFound(what: "image of benchmark \(name)", name: file)
        }
        let decoded: RGBImage
        do {
            decoded = try ImageDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath: upload))))
        } catch {
            throw LeaderboardError.invalid(field: file, reason: "not a decodable JPEG or PNG (\(error))")
        }
        guard decoded.width == image.width, decoded.height == image.height else {
            throw LeaderboardError.invalid(field: file, reason: "is \(decoded.width)×\(decoded.height); the benchmark says \(image.width)×\(image.height)")
        }
        let destination = imagePath(benchmark: name, file: file)
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
        try FileManager.default.moveItem(atPath: upload, toPath: destination)
        try database.write { db in
            try db.execute(sql: "UPDATE benchmark_image SET sha256 = ? WHERE benchmark = ? AND file = ?", arguments: [sha256, name, file])
        }
    }

    /// Where an image of a benchmark is kept (whether or not it was uploaded yet).
    public func imagePath(benchmark: String, file: String) -> String { path(.images, "\(benchmark)/\(file)") }
}
