// One split run of `dpcl match --pairs`: each pair matched on its own, so that a missing
// image or an unusable annotation costs that pair and not the run; the run's report.
import Foundation
import Imaging
import Matching

struct SplitRun {
    /// Exit status of a run in which some pairs could not be matched (documented).
    static let someFailedStatus: Int32 = 3

    let split: PairsFile
    let folder: String
    let matcher: Matcher
    let options: MatchOptions
    /// Only the last source is kept decoded: pairs of one source come together, and a
    /// whole split's images would not fit in memory.
    private var lastSource: (id: String, image: RGBImage)?

    init(split: PairsFile, folder: String, matcher: Matcher, options: MatchOptions) {
        self.split = split
        self.folder = folder
        self.matcher = matcher
        self.options = options
    }

    /// Why one pair could not be matched, in the report's terms.
    struct Failure: Encodable {
        let pair: String
        let code: String
        let message: String

        init(pair: String, error: any Error) {
            self.pair = pair
            switch error {
            case let error as SplitRunError: (code, message) = (error.code, error.description)
            case let error as MatchInputError: (code, message) = (error.code, error.description)
            case let error as PairsFileError: (code, message) = ("invalid-pair", error.description)
            default: (code, message) = ("match-failed", "\(error)")
            }
        }
    }

    mutating func match(_ pair: PairsFile.Pair) throws -> PredictionEntry {
        let sourceImage = try lastSource.flatMap { $0.id == pair.source ? $0.image : nil } ?? image(pair.source)
        lastSource = (pair.source, sourceImage)
        let targetImage = try image(pair.target)
        let instances = try split.sourceAnnotations(for: pair)
            .sourceInstances(width: sourceImage.width, height: sourceImage.height)
        // A source without an instance of the category has nothing to ask: an empty answer.
        guard !instances.isEmpty else {
            return PredictionEntry(pair: pair.id, prediction: PairPrediction(matches: [], instances: []), warnings: [])
        }
        let prepared = try PairInput(source: sourceImage, target: targetImage, instances: instances).prepared()
        return PredictionEntry(pair: pair.id, report: try matcher.match(prepared, options: options))
    }

    private func image(_ id: String) throws(SplitRunError) -> RGBImage {
        let file: String
        do {
            file = try split.image(id).file
        } catch {
            throw .unknownImage(id)
        }
        guard let data = FileManager.default.contents(atPath: folder + "/" + file) else { throw .imageMissing(file: file) }
        do {
            return try ImageDecoder.decode([UInt8](data))
        } catch {
            throw .imageUndecodable(file: file, reason: error.description)
        }
    }

    /// What `--report` writes, and the run's closing line.
    struct Report: Encodable {
        struct Counts: Encodable {
            let pairs: Int, matched: Int, failed: Int, withWarnings: Int
            enum CodingKeys: String, CodingKey { case pairs, matched, failed, withWarnings = "with_warnings" }
        }

        struct Warned: Encodable {
            let pair: String
            let warnings: [MatchWarning]
        }

        let format = "misc-match-report/v1"
        let pairsFile: String
        /// Absent for a whole split.
        let shard: String?
        let counts: Counts
        let seconds: Double
        let failed: [Failure]
        let warnings: [Warned]

        init(pairsFile: String, shard: String?, pairs: Int, matched: Int, failed: [Failure], warned: [PredictionEntry],
             seconds: Double) {
            self.pairsFile = pairsFile
            self.shard = shard
            counts = Counts(pairs: pairs, matched: matched, failed: failed.count, withWarnings: warned.count)
            self.seconds = (seconds * 1000).rounded() / 1000
            self.failed = failed
            warnings = warned.map { Warned(pair: $0.pair, warnings: $0.warnings) }
        }

        enum CodingKeys: String, CodingKey { case format, pairsFile = "pairs_file", shard, counts, seconds, failed, warnings }

        var line: String {
            "\(counts.matched) of \(counts.pairs) pairs matched, \(counts.failed) failed, \(counts.withWarnings) with warnings, in \(String(format: "%.1f", seconds)) s"
        }
    }
}

enum SplitRunError: Error, CustomStringConvertible {
    case unknownImage(String)
    case imageMissing(file: String)
    case imageUndecodable(file: String, reason: String)

    var code: String {
        switch self {
        case .unknownImage: "unknown-image"
        case .imageMissing: "image-missing"
        case .imageUndecodable: "image-undecodable"
        }
    }

    var description: String {
        switch self {
        case .unknownImage(let id): "image \(id) is not listed in the split's images"
        case .imageMissing(let file): "\(file) cannot be read (next to the pairs file)"
        case .imageUndecodable(let file, let reason): "\(file) is not a decodable JPEG or PNG: \(reason)"
        }
    }
}
