// Whole pairs through the matcher with the default model (fetched by `make setup`): the
// grouping invariant, the feature cache, input errors, the decoder path, and the guarantee
// that the target's annotations never enter (dpcl match on a split stripped of them).
import Foundation
import Imaging
import Tensor
import TestSupport
import Testing
@testable import Matching

/// The default model, loaded once for every test here.
enum DefaultModel {
    static let configPath = Repository.root.appendingPathComponent("Config/models/dinov2-small.json").path
    static let matcher: Result<Matcher, Error> = Result { try Matcher.load(configPath: configPath) }
}

/// A dev split's pair as matcher input, read the way `dpcl match` reads it.
struct DevPair {
    let split: PairsFile
    let pair: PairsFile.Pair
    let input: PairInput

    init(_ name: String, _ pairID: String) throws {
        let folder = Repository.shared.appendingPathComponent("data/\(name)").path
        let split = try PairsFile.load(path: folder + "/pairs.json")
        guard let pair = split.pairs.first(where: { $0.id == pairID }) else {
            throw PairsFileError.invalid(path: folder, reason: "no pair \(pairID)")
        }
        func image(_ id: String) throws -> RGBImage {
            try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + split.image(id).file))))
        }
        let source = try image(pair.source), target = try image(pair.target)
        let instances = try split.sourceAnnotations(for: pair).sourceInstances(width: source.width, height: source.height)
        self.split = split
        self.pair = pair
        input = PairInput(source: source, target: target, instances: instances)
    }
}

@Suite(.serialized) struct MatcherTests {
    @Test func aCrowdedDevPairIsMatchedAndEveryLabelNamesAnInstance() throws {
        let matcher = try DefaultModel.matcher.get()
        let dev = try DevPair("coco-person-dev", "person-0012")  // 5 people → 4 people
        let report = try matcher.match(dev.input)
        let prediction = report.prediction
        #expect(!prediction.matches.isEmpty)
        #expect(prediction.instances.count >= 2, "a crowd is separated into instances")
        let ids = Set(prediction.instances.map(\.id))
        for match in prediction.matches {
            let label = try #require(match.targetInstance, "every match is labelled")
            #expect(ids.contains(label), "target_instance \(label) names a returned instance")
            #expect((0...Double(dev.input.target.width)).contains(match.x) && (0...Double(dev.input.target.height)).contains(match.y))
            #expect((0...1).contains(match.score))
            let instance = try #require(dev.input.instances.first { $0.id == match.sourceInstance })
            #expect(instance.keypoints[match.keypoint].isLabelled)
        }
        // Every labelled source keypoint gets at least its strongest peak.
        let groups = Set(dev.input.instances.flatMap { i in i.keypoints.indices.filter { i.keypoints[$0].isLabelled }.map { "\(i.id)/\($0)" } })
        #expect(Set(prediction.matches.map { "\($0.sourceInstance)/\($0.keypoint)" }) == groups)
        for instance in prediction.instances {
            #expect(instance.mask.width == dev.input.target.width && instance.mask.height == dev.input.target.height)
            #expect(instance.mask.area > 0)
        }
        #expect(report.timings.stages.map(\.name).starts(with: ["source_features", "target_features"]))
    }

    @Test func aSecondPairWithTheSameSourceReadsItsFeaturesFromTheCache() throws {
        let matcher = try DefaultModel.matcher.get()
        let dev = try DevPair("jhmdb-person-dev", try DevPair.firstPairID("jhmdb-person-dev"))
        let first = try matcher.match(dev.input)
        let second = try matcher.match(dev.input)
        #expect(second.sourceCached && second.targetCached)
        #expect(second.prediction == first.prediction, "cached features give the same answer")
        // A different size is another cache entry, not a stale one.
        let resized = try matcher.match(dev.input, options: MatchOptions(size: 224))
        #expect(!resized.sourceCached && resized.target.inputWidth <= 224)
    }

    @Test func badInputsAreRefusedInTheUsersTerms() throws {
        let matcher = try DefaultModel.matcher.get()
        let dev = try DevPair("jhmdb-person-dev", try DevPair.firstPairID("jhmdb-person-dev"))
        // A keypoint outside the image is left out and said; the rest of the pair is matched.
        var outside = dev.input
        outside.instances[0].keypoints[0] = SourceKeypoint(x: 5000, y: 10, visibility: 2)
        let report = try matcher.match(outside)
        #expect(report.warnings.map(\.code) == [.keypointOutsideImage])
        #expect(report.warnings.first?.message.contains("(5000.0, 10.0) is outside") == true)
        #expect(!report.prediction.matches.isEmpty)
        #expect(!report.prediction.matches.contains { $0.sourceInstance == outside.instances[0].id && $0.keypoint == 0 })
        var unlabelled = dev.input
        for instance in unlabelled.instances.indices {
            for index in unlabelled.instances[instance].keypoints.indices { unlabelled.instances[instance].keypoints[index].visibility = 0 }
        }
        #expect(throws: MatchInputError.noLabelledKeypoint(outside: 0)) { try matcher.match(unlabelled) }
        var wrongMask = dev.input
        wrongMask.instances[0].mask = try RLE.empty(height: 10, width: 10)
        #expect(throws: MatchInputError.self) { try matcher.match(wrongMask) }
        #expect(throws: MatchInputError.option(name: "size", problem: "must be a multiple of 14 in 14...1792")) {
            try matcher.match(dev.input, options: MatchOptions(size: 300))
        }
        let annotations = SourceAnnotations(category: "person", keypoints: ["a", "b"], instances: [.init(id: 1, keypoints: [[1, 1, 2]])])
        #expect(throws: MatchInputError.keypointCount(instance: 1, expected: 2, found: 1)) {
            try annotations.sourceInstances(width: 10, height: 10)
        }
        let mask = InstanceMask(id: 9, mask: try RLE.empty(height: 10, width: 10))
        #expect(throws: MatchInputError.unknownMaskID(id: 9, known: [1])) {
            try SourceAnnotations(category: "person", keypoints: nil, instances: [.init(id: 1, keypoints: [[1, 1, 2]])])
                .sourceInstances(width: 10, height: 10, sourceMasks: [mask])
        }
    }

    @Test func theClosedLoopOptionOnlyRemovesMatches() throws {
        let matcher = try DefaultModel.matcher.get()
        let dev = try DevPair("coco-person-dev", "person-0005")
        let open = try matcher.match(dev.input).prediction.matches
        let closed = try matcher.match(dev.input, options: MatchOptions(closedLoop: true)).prediction.matches
        #expect(closed.count <= open.count)
        #expect(closed.allSatisfy { open.contains($0) })
    }

    @Test func aConfiguredDecoderRunsBetweenBackboneAndCostVolume() throws {
        let directory = NSTemporaryDirectory() + "dpcl-matching-decoder-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Venv.runPython([Repository.root.path + "/Tests/MatchingTests/Fixtures/make_random_decoder.py", directory])
        // The backbone's weights stay where setup put them; the decoder's sit in the fixture
        // folder, so link the backbone's file there.
        try FileManager.default.createSymbolicLink(atPath: directory + "/dinov2-small.safetensors",
                                                   withDestinationPath: ModelDirectory.path() + "/dinov2-small.safetensors")
        let decoded = try Matcher.load(configPath: directory + "/with-decoder.json", modelDirectory: directory)
        #expect(decoded.decoder?.layers.count == 1)
        let dev = try DevPair("jhmdb-person-dev", try DevPair.firstPairID("jhmdb-person-dev"))
        let report = try decoded.match(dev.input)
        #expect(report.timings.stages.contains { $0.name == "decoder" })
        #expect(!report.prediction.matches.isEmpty)
        let plain = try DefaultModel.matcher.get().match(dev.input)
        #expect(report.prediction.matches != plain.prediction.matches, "random decoder weights change the features")
    }

    @Test func predictionsAreTheSameWithoutTheTargetsAnnotations() throws {
        // Pairs 0001–0003 of coco-person-dev share their source image: a split of those three
        // pairs with every other image's instances removed still has all the source truth.
        let folder = Repository.shared.appendingPathComponent("data/coco-person-dev")
        let data = try Data(contentsOf: folder.appendingPathComponent("pairs.json"))
        var document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let pairs = try #require(document["pairs"] as? [[String: Any]]).prefix(3)
        let sources = Set(pairs.compactMap { $0["source"] as? String })
        #expect(sources.count == 1)
        let directory = NSTemporaryDirectory() + "dpcl-blind-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/images",
                                                   withDestinationPath: folder.appendingPathComponent("images").path)
        let instances = try #require(document["instances"] as? [[String: Any]])
        document["pairs"] = Array(pairs)
        document["instances"] = instances.filter { sources.contains($0["image"] as? String ?? "") }
        #expect((document["instances"] as? [Any])?.count ?? 0 < instances.count)
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: directory + "/pairs.json"))

        let dpcl = Repository.builtProduct("dpcl")
        func run(_ pairsFile: String, _ out: String) throws -> Data {
            let result = try Subprocess.run(dpcl, ["match", "--pairs", pairsFile, "--out", out, "--limit", "3",
                                                   "--model-config", DefaultModel.configPath])
            #expect(result.status == 0, "\(result.stderrText)")
            return try Data(contentsOf: URL(fileURLWithPath: out))
        }
        let full = try run(folder.appendingPathComponent("pairs.json").path, directory + "/full.json")
        let blind = try run(directory + "/pairs.json", directory + "/blind.json")
        #expect(!full.isEmpty)
        #expect(full == blind, "the target's annotations changed the predictions")
    }
}

extension DevPair {
    static func firstPairID(_ split: String) throws -> String {
        let file = try PairsFile.load(path: Repository.shared.appendingPathComponent("data/\(split)/pairs.json").path)
        guard let first = file.pairs.first else { throw PairsFileError.invalid(path: split, reason: "no pairs") }
        return first.id
    }
}
