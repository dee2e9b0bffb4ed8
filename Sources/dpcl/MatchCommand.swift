// `dpcl match`: runs the matcher on a whole split (misc-pairs/v1 in, misc-predictions/v1
// out) or on one pair (JSON entry and optionally the match picture).
import ArgumentParser
import Foundation
import Imaging
import Matching
#if canImport(Glibc)
import Glibc
#endif

struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match the source keypoints of image pairs onto every target instance.",
        discussion: """
            A split: --pairs SPLIT/pairs.json --out PRED.json (images are read next to the \
            pairs file; only the source instances are read, never the target's). A pair that \
            cannot be matched (missing or undecodable image, no labelled keypoint inside the \
            image, a mask of the wrong size) is reported on stderr and in --report, left out of \
            the predictions, and the run goes on: exit 0 when every pair was matched, 3 when \
            some failed. One pair: \
            --source A --target B --annotations ANN.json [--source-masks IDS.png] \
            [--out ENTRY.json] [--png PICTURE.png]. The settings come from the model \
            config's `matcher` object; the options below override them.
            """
    )

    @Option(help: "A benchmark split (misc-pairs/v1); its images are resolved next to it.")
    var pairs: String?

    @Option(help: "Where to write the predictions (misc-predictions/v1 for --pairs, one pairs[] entry for a single pair; default stdout).")
    var out: String?

    @Option(help: "The method name written into the predictions.")
    var method = "dpcl zero-shot"

    @Option(help: "Source image (JPEG or PNG) of a single pair.")
    var source: String?

    @Option(help: "Target image (JPEG or PNG) of a single pair.")
    var target: String?

    @Option(help: "Source annotations of a single pair: {\"category\", \"keypoints\"?, \"instances\": [{\"id\", \"keypoints\", \"segmentation\"?, \"bbox\"?}]}.")
    var annotations: String?

    @Option(help: "Instance-id PNG of the source (pixel value = instance id), instead of segmentations.")
    var sourceMasks: String?

    @Option(help: "Write the match picture of a single pair to this PNG.")
    var png: String?

    @Option(help: "Long side of the backbone input (a multiple of the patch size).")
    var size: Int?

    @Option(help: "Backbone block whose features are matched (0-based).")
    var layer: Int?

    @Option(help: "Heat threshold of a peak (0...1).")
    var threshold: Double?

    @Option(help: "NMS radius, a fraction of the target's long side.")
    var nmsRadius: Double?

    @Option(help: "Most matches per source keypoint.")
    var maxMatches: Int?

    @Flag(help: "Drop matches that do not map back near their source keypoint.")
    var closedLoop = false

    @Option(help: "Match only the first N pairs of the split (of the shard, with --shard).")
    var limit: Int?

    @Option(help: "Match one shard I/N of the split (1 ≤ I ≤ N): whole source images dealt to N shards (docs/COMMANDS.md); `dpcl predictions merge` puts the parts together.")
    var shard: String?

    @Option(help: "Write a JSON report of the split run: counts, time, every failed pair with its error code and message, and the pairs with warnings.")
    var report: String?

    @Flag(help: "Stop at the first pair that cannot be matched (exit 1, no predictions written) instead of leaving it out and going on.")
    var failFast = false

    @OptionGroup var backbone: BackboneOptions

    func validate() throws {
        let single = [source, target, annotations].map { $0 != nil }
        if pairs != nil {
            guard !single.contains(true), png == nil, sourceMasks == nil else {
                throw ValidationError("--pairs runs a whole split: leave out --source, --target, --annotations, --source-masks and --png")
            }
        } else {
            guard !single.contains(false) else {
                throw ValidationError("give --pairs SPLIT/pairs.json, or --source, --target and --annotations for one pair")
            }
            guard shard == nil, report == nil, !failFast else {
                throw ValidationError("--shard, --report and --fail-fast are for a split run (--pairs)")
            }
        }
        if let shard {
            do { _ = try SplitShard(parsing: shard) } catch { throw ValidationError(error.description) }
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    }

    var options: MatchOptions {
        MatchOptions(threshold: threshold, nmsRadius: nmsRadius, maxMatches: maxMatches, size: size, layer: layer,
                     closedLoop: closedLoop ? true : nil)
    }

    func run() throws {
        let matcher = try backbone.loadMatcher()
        _ = try matcher.settings(options)
        if let pairs {
            try runSplit(pairs, matcher: matcher)
        } else {
            try runPair(matcher: matcher)
        }
    }

    private func runPair(matcher: Matcher) throws {
        guard let source, let target, let annotations else { return }
        let sourceImage = try Self.decode(source), targetImage = try Self.decode(target)
        let document = try Self.read(annotations)
        let parsed: SourceAnnotations
        do {
            parsed = try JSONDecoder().decode(SourceAnnotations.self, from: Data(document))
        } catch {
            throw ValidationError("\(annotations) is not a valid annotations document: \(error)")
        }
        let masks = try sourceMasks.map { try InstanceIDImage.decode(try Self.read($0)) }
        let instances = try parsed.sourceInstances(width: sourceImage.width, height: sourceImage.height, sourceMasks: masks)
        let input = PairInput(source: sourceImage, target: targetImage, instances: instances)
        let report = try matcher.match(input, options: options)
        let entry = PredictionEntry(pair: "\(source) -> \(target)", report: report)
        try Self.write(try Self.encoder.encode(entry), to: out)
        if let png {
            let picture = MatchPicture.of(report.prediction, input: input)
            try Data(try picture.png()).write(to: URL(fileURLWithPath: png))
        }
    }

    private func runSplit(_ path: String, matcher: Matcher) throws {
        let split = try PairsFile.load(path: path)
        let shard = try self.shard.map { text throws(SplitShardError) in try SplitShard(parsing: text) }
        let selected = Array((shard?.pairs(of: split.pairs) ?? split.pairs).prefix(limit ?? .max))
        var run = SplitRun(split: split, folder: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                           matcher: matcher, options: options)
        var progress = Progress(total: selected.count)
        var entries: [PredictionEntry] = []
        var failures: [SplitRun.Failure] = []
        for pair in selected {
            do {
                entries.append(try run.match(pair))
            } catch {
                let failure = SplitRun.Failure(pair: pair.id, error: error)
                FileHandle.standardError.write(Data("\(progress.interactive ? "\n" : "")match: pair \(pair.id) failed: \(failure.code): \(failure.message)\n".utf8))
                if failFast { throw ExitCode.failure }
                failures.append(failure)
            }
            progress.advance(label: pair.id)
        }
        let document = PredictionsDocument(benchmark: split.name, method: method, pairs: entries)
        try Self.write(try Self.encoder.encode(document), to: out)
        let summary = SplitRun.Report(pairsFile: path, shard: shard?.description, pairs: selected.count, matched: entries.count,
                                      failed: failures, warned: entries.filter { !$0.warnings.isEmpty },
                                      seconds: (ContinuousClock.now - progress.start).milliseconds / 1000)
        if let report {
            try Self.write(try Self.encoder.encode(summary), to: report)
        }
        FileHandle.standardError.write(Data("match: \(summary.line)\n".utf8))
        if !failures.isEmpty { throw ExitCode(SplitRun.someFailedStatus) }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        return [UInt8](data)
    }

    static func decode(_ path: String) throws -> RGBImage {
        do {
            return try ImageDecoder.decode(try read(path))
        } catch let error as ImageError {
            throw ValidationError("\(path): \(error)")
        }
    }

    static func write(_ data: Data, to path: String?) throws {
        if let path {
            try data.write(to: URL(fileURLWithPath: path))
        } else {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }
}

/// Progress on stderr: a bar with ETA redrawn in place on a terminal, one plain line per
/// pair otherwise (logs, CI).
struct Progress {
    let total: Int
    let start = ContinuousClock.now
    let interactive = isatty(2) == 1
    var done = 0

    init(total: Int) { self.total = total }

    mutating func advance(label: String) {
        done += 1
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.milliseconds / 1000
        let eta = done > 0 ? seconds / Double(done) * Double(total - done) : 0
        let line: String
        if interactive {
            let width = 30, filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            line = "\r[\(bar)] \(done)/\(total) \(String(format: "%.1f", seconds)) s, ETA \(String(format: "%.0f", eta)) s " + (done == total ? "\n" : "")
        } else {
            line = "match: \(done)/\(total) \(label) (\(String(format: "%.1f", seconds)) s, ETA \(String(format: "%.0f", eta)) s)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
