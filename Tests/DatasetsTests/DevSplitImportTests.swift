// The COCO files the dev splits were built from, imported: each gives its dev split's
// instances (by image, keypoints and mask) and pairs, and passes the readers of `dpcl eval`,
// `dpcl match` and the leaderboard as written.
import Datasets
import Evaluation
import Foundation
import Leaderboard
import Matching
import TestSupport
import Testing

@Suite struct DevSplitImportTests {
    static let sources: [(file: String, split: String)] = [
        ("coco", "coco-person-dev"), ("aic", "aic-person-dev"), ("crowdpose", "crowdpose-person-dev"),
        ("mhp", "mhp-person-dev"), ("macaque", "macaque-dev"), ("horse10", "horse10-horse-dev"), ("fly", "fly-dev"),
    ]

    static func paths(_ source: (file: String, split: String)) -> (coco: String, images: String, dev: String) {
        let data = Repository.shared.appending(path: "data")
        return (data.appending(path: "coco-format/\(source.file).json").path,
                data.appending(path: "\(source.split)/images").path,
                data.appending(path: "\(source.split)/pairs.json").path)
    }

    @Test(arguments: sources.map { "\($0.file)/\($0.split)" })
    func importGivesTheDevSplit(_ argument: String) throws {
        let source = Self.sources.first { "\($0.file)/\($0.split)" == argument }!
        let (coco, images, devPath) = Self.paths(source)
        let dev = try GroundTruthReader.read(path: devPath)
        let scratch = ScratchFolder()
        let all = try Imported(coco, images: images, out: scratch.split("all"), name: source.split) { $0.minShared = 0 }
        #expect(all.benchmark.contents == dev.contents)
        #expect(all.benchmark.instances.count == dev.instances.count)
        #expect(Set(all.benchmark.imagePairs) == Set(dev.imagePairs))
        #expect(all.benchmark.imagePairs.count == dev.imagePairs.count)
        #expect(all.log.allSatisfy { !$0.contains("left out") }, "\(all.log)")
        // Every dev pair shares at least 30% of its keypoints, so the default rule keeps them all.
        let ruled = try Imported(coco, images: images, out: scratch.split("ruled"), name: source.split)
        #expect(Set(ruled.benchmark.imagePairs) == Set(dev.imagePairs))
        #expect(ruled.benchmark.contents == dev.contents)
        // `dpcl match` reads it, every image is linked into the split, and the truth scores 1.
        let split = try PairsFile.load(path: scratch.split("ruled"))
        for pair in split.pairs { _ = try split.sourceAnnotations(for: pair) }
        for image in split.images {
            let linked = URL(fileURLWithPath: scratch.split("ruled")).deletingLastPathComponent().appending(path: image.file).path
            #expect(FileManager.default.isReadableFile(atPath: linked), "\(image.file)")
        }
        let predictions = scratch.path + "/truth.json"
        try TruthPredictions.make(groundTruth: scratch.split("ruled"), method: "truth").write(to: URL(fileURLWithPath: predictions))
        let scores = try Evaluator(benchmark: ruled.benchmark).evaluate(path: predictions)
        #expect(scores.overall.alphas.allSatisfy { $0.mpck == 1 && $0.recall == 1 })
        let devPredictions = scratch.path + "/dev-truth.json"
        try TruthPredictions.make(groundTruth: devPath, method: "truth").write(to: URL(fileURLWithPath: devPredictions))
        // (mIoU aside: the truth predictions carry RLE masks only, and the import keeps polygons.)
        let devScores = try Evaluator(benchmark: dev).evaluate(path: devPredictions)
        #expect(scores.overall.groups == devScores.overall.groups && scores.overall.alphas == devScores.overall.alphas)
    }

    @Test func theLeaderboardTakesAnImportedSplitAsItIs() throws {
        let (coco, images, _) = Self.paths(Self.sources[0])
        let scratch = ScratchFolder()
        _ = try Imported(coco, images: images, out: scratch.split("split"), name: "coco-imported")
        let store = try Store(directory: scratch.path + "/leaderboard")
        // Every ordered pair, as the dev split: all its target instances are in the inputs.
        let info = try store.addBenchmark(groundTruth: scratch.split("split"), allowLeak: true)
        #expect(info.name == "coco-imported" && info.pair_count == 12 && info.leak?.share == 1)
        #expect(try store.images(of: "coco-imported").map(\.file).allSatisfy { $0.hasPrefix("images/") && $0.hasSuffix(".jpg") })
    }
}
