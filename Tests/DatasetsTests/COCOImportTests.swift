// The import on small generated COCO files (Fixtures/make_fixtures.py): the shared-keypoint
// rule counted over all of an image's instances, crowd regions, unlabelled instances,
// missing and resized images, keypoints outside the image, faulty annotations, sampling and
// --disjoint, and the command itself as a child process.
import Datasets
import Evaluation
import Foundation
import Leaderboard
import Matching
import TestSupport
import Testing

@Suite struct COCOImportTests {
    static let rulePairs: Set<ImagePair> = [
        .init(category: "thing", source: "a", target: "b"), .init(category: "thing", source: "a", target: "c"),
        .init(category: "thing", source: "b", target: "a"), .init(category: "thing", source: "b", target: "c"),
        .init(category: "thing", source: "c", target: "a"), .init(category: "thing", source: "c", target: "b"),
        .init(category: "other", source: "a", target: "c"), .init(category: "other", source: "c", target: "a"),
    ]

    @Test func theCommandKeepsPairsSharingThirtyPercentAndReportsWhatItLeftOut() throws {
        let scratch = ScratchFolder()
        let out = scratch.split("rule")
        let run = try Subprocess.run(Repository.builtProduct("dpcl"),
                                     ["pairs", "from-coco", Fixture.file("rule.json"), "--images", Fixture.images, "--out", out])
        #expect(run.status == 0, "\(run.stderrText)")
        let lines = run.stderrText.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("dpcl pairs: image 5 (e.png): not found in") })
        #expect(lines.contains { $0.hasPrefix("dpcl pairs: image 6 (") && $0.hasSuffix("is 8×8, the file says 16×12; left out") })
        #expect(lines.contains("dpcl pairs: images: 7 checked, 2 left out (1 missing, 1 of another size, 0 unreadable)"))
        #expect(lines.contains("dpcl pairs: instances: 6 kept; left out 2 crowd, 1 without a labelled keypoint, "
                               + "2 of images left out, 2 of images in no pair, 1 of other categories"))
        #expect(lines.contains { $0.hasPrefix("dpcl pairs: thing: 4 images, 6 pairs of 12 candidates (3 of 10 keypoints shared") })
        #expect(lines.last?.hasPrefix("dpcl pairs: wrote \(out): 3 images, 6 instances, 8 pairs") == true)

        let benchmark = try GroundTruthReader.read(path: out)
        #expect(benchmark.name == "rule")
        // In order: category in file order, then source and target image id.
        #expect(benchmark.imagePairs == Self.rulePairs.sorted {
            ($0.category == "thing" ? 0 : 1, $0.source, $0.target) < ($1.category == "thing" ? 0 : 1, $1.source, $1.target)
        })
        #expect(benchmark.pairs.map(\.id) == ["thing-0001", "thing-0002", "thing-0003", "thing-0004", "thing-0005",
                                              "thing-0006", "other-0001", "other-0002"])
        #expect(benchmark.instances.map(\.id) == [101, 103, 201, 301, 302, 303])
        // The polygon and the compressed RLE are carried over.
        #expect(benchmark.instances.filter { $0.mask != nil }.map(\.id) == [101, 201])
        #expect(benchmark.instances.first { $0.id == 201 }?.mask?.area == 81)
        #expect(benchmark.instances.first { $0.id == 101 }?.mask?.area ?? 0 > 0)
        // The folder prefix of file_name is not part of the split's file.
        let split = try PairsFile.load(path: out)
        #expect(split.images.map(\.file) == ["images/a.png", "images/b.png", "images/c.png"])
        let link = URL(fileURLWithPath: out).deletingLastPathComponent().appending(path: "images/b.png").path
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == Fixture.folder.appending(path: "images/b.png").path)
        // The keypoint 25 px left of the image is carried over as it is.
        let source = try split.sourceAnnotations(for: try #require(split.pairs.first { $0.source == "b" }))
        #expect(source.instances.map(\.id) == [201])
        #expect(source.instances[0].keypoints[7] == [-25, 3, 2])
        let store = try Store(directory: scratch.path + "/leaderboard")
        // Every image is a source and a target here: the leaderboard takes it only knowingly.
        let info = try store.addBenchmark(groundTruth: out, allowLeak: true)
        #expect(info.pair_count == 8 && info.leak_allowed && (info.leak?.share ?? 0) > 0)
    }

    @Test func withNoMinimumEveryTwoImagesPairAndUnlabelledInstancesStayWhenAsked() throws {
        let scratch = ScratchFolder()
        let all = try Imported(Fixture.file("rule.json"), images: Fixture.images, out: scratch.split("all")) {
            $0.minShared = 0
            $0.keepUnlabelled = true
        }
        // a, b, c, d for thing (e and f are left out, g holds a crowd only); a, c, g for other.
        #expect(all.plan.summary.categories.map(\.pairs) == [12, 6])
        #expect(Set(all.benchmark.imagePairs.map(\.source)) == ["a", "b", "c", "d", "g"])
        #expect(all.benchmark.instances.map(\.id) == [101, 103, 201, 202, 301, 302, 303, 401, 702])
        let strict = try Imported(Fixture.file("rule.json"), images: Fixture.images, out: scratch.split("strict")) {
            $0.minShared = 0.5
        }
        #expect(strict.plan.summary.categories.map(\.needed) == [5, 3])
        #expect(strict.plan.pairCount == 0)
    }

    @Test func onlyTheNamedCategories() throws {
        let scratch = ScratchFolder()
        let other = try Imported(Fixture.file("rule.json"), images: Fixture.images, out: scratch.split("other")) {
            $0.categories = ["other"]
        }
        #expect(Set(other.benchmark.imagePairs) == Self.rulePairs.filter { $0.category == "other" })
        #expect(other.benchmark.categories.map(\.name) == ["other"])
        var options = COCOImportOptions(imagesFolder: Fixture.images)
        options.categories = ["dog"]
        #expect(throws: DatasetError.unknownCategoryName("dog", available: ["box", "thing", "other"])) {
            try COCOImport.plan(try COCOKeypointFile.load(path: Fixture.file("rule.json")), options: options)
        }
        options.categories = ["box"]
        #expect(throws: DatasetError.categoryWithoutKeypoints("box")) {
            try COCOImport.plan(try COCOKeypointFile.load(path: Fixture.file("rule.json")), options: options)
        }
    }

    @Test func aFaultyAnnotationIsAnErrorThatNamesIt() throws {
        let options = COCOImportOptions(imagesFolder: Fixture.images)
        #expect(throws: DatasetError.wrongKeypointCount(annotation: 77, found: 27, expected: 30, category: "thing")) {
            try COCOImport.plan(try COCOKeypointFile.load(path: Fixture.file("bad-keypoints.json")), options: options)
        }
        #expect(throws: DatasetError.unknownCategory(annotation: 88, category: 42)) {
            try COCOImport.plan(try COCOKeypointFile.load(path: Fixture.file("unknown-category.json")), options: options)
        }
        let scratch = ScratchFolder()
        let run = try Subprocess.run(Repository.builtProduct("dpcl"), [
            "pairs", "from-coco", Fixture.file("bad-keypoints.json"), "--images", Fixture.images, "--out", scratch.split("bad"),
        ])
        #expect(run.status == 1)
        #expect(run.stderrText.hasSuffix(
            "Error: annotation 77: keypoints has 27 values, expected 30 (x, y, v for each of the 10 keypoints of thing)\n"))
        #expect(!FileManager.default.fileExists(atPath: scratch.split("bad")))
    }

    @Test func disjointSidesLeaveNoTargetThatIsASourceAndKeepMostPairs() throws {
        let scratch = ScratchFolder()
        let all = try Imported(Fixture.file("disjoint.json"), images: Fixture.images, out: scratch.split("all"))
        #expect(all.plan.summary.categories.map(\.pairs) == [132, 30])
        var seen: Set<[ImagePair]> = []
        for seed: UInt64 in [0, 1, 2] {
            let disjoint = try Imported(Fixture.file("disjoint.json"), images: Fixture.images, out: scratch.split("d\(seed)")) {
                $0.disjoint = true
                $0.seed = seed
            }
            let pairs = disjoint.benchmark.imagePairs
            #expect(Set(pairs.map(\.source)).isDisjoint(with: pairs.map(\.target)))
            #expect(Set(pairs).isSubset(of: all.benchmark.imagePairs))
            // 12 images split 6/6 keep 36 of 132 pairs, the most a split can; the 6 images of
            // the second category are split about in half too (3·3 = 9, 2·4 = 8).
            let counts = disjoint.plan.summary.categories
            #expect(counts[0].sourceImages + counts[0].targetImages == 12)
            #expect(counts[0].pairs >= 35, "\(counts[0])")
            #expect(counts[1].pairs >= 8, "\(counts[1])")
            let again = try Imported(Fixture.file("disjoint.json"), images: Fixture.images, out: scratch.split("again")) {
                $0.disjoint = true
                $0.seed = seed
            }
            #expect(again.benchmark.imagePairs == pairs)
            seen.insert(pairs)
        }
        #expect(seen.count == 3)
        // The leaderboard refuses the split of all pairs and takes a disjoint one: leak 0.
        let store = try Store(directory: scratch.path + "/leaderboard")
        #expect(throws: LeaderboardError.self) { try store.addBenchmark(groundTruth: scratch.split("all")) }
        let info = try store.addBenchmark(groundTruth: scratch.split("d0"))
        #expect(info.leak?.leakedInstances == 0 && (info.leak?.targetInstances ?? 0) > 0 && !info.leak_allowed)
    }

    @Test func maxPairsTakesASeededSampleInOrder() throws {
        let scratch = ScratchFolder()
        let all = try Imported(Fixture.file("disjoint.json"), images: Fixture.images, out: scratch.split("all"))
        func sample(_ seed: UInt64, _ limit: Int, disjoint: Bool = false) throws -> [ImagePair] {
            try Imported(Fixture.file("disjoint.json"), images: Fixture.images, out: scratch.split("s")) {
                $0.maxPairs = limit
                $0.seed = seed
                $0.disjoint = disjoint
            }.benchmark.imagePairs
        }
        let first = try sample(7, 10)
        #expect(first.count == 20)
        #expect(Set(first).isSubset(of: all.benchmark.imagePairs))
        #expect(first == all.benchmark.imagePairs.filter(Set(first).contains))
        #expect(try sample(7, 10) == first)
        #expect(try sample(8, 10) != first)
        // A limit above the candidates keeps them all; a sample of sides stays on its sides.
        #expect(try sample(7, 1000) == all.benchmark.imagePairs)
        let sided = try sample(3, 5, disjoint: true)
        #expect(sided.count == 10 && Set(sided.map(\.source)).isDisjoint(with: sided.map(\.target)))
    }
}

@Suite struct ImportFixtureTests {
    /// The committed fixtures are exactly what the committed script writes.
    @Test func fixturesAreRegeneratedIdentically() throws {
        let scratch = ScratchFolder()
        try Venv.runPython([Fixture.file("make_fixtures.py"), scratch.path])
        let fresh = try FileManager.default.subpathsOfDirectory(atPath: scratch.path).sorted()
        let committed = try FileManager.default.subpathsOfDirectory(atPath: Fixture.folder.path)
            .filter { $0 != "make_fixtures.py" && !$0.hasPrefix("__pycache__") }.sorted()
        #expect(fresh == committed)
        for name in fresh where !name.hasSuffix("images") {
            #expect(FileManager.default.contents(atPath: scratch.path + "/" + name)
                    == FileManager.default.contents(atPath: Fixture.folder.path + "/" + name), "\(name)")
        }
    }
}
