// `dpcl pairs from-coco`: a misc-pairs/v1 split from a COCO keypoint file, its images linked
// (or copied) beside it, with one line per image left out and a summary on stderr.
import ArgumentParser
import Datasets
import Foundation

struct PairsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pairs",
        abstract: "Build benchmark splits (misc-pairs/v1).",
        subcommands: [FromCOCO.self]
    )

    struct FromCOCO: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "from-coco",
            abstract: "Build a misc-pairs/v1 split from a COCO keypoint file.",
            discussion: """
                Every ordered pair of two images that hold a labelled, non-crowd instance of a \
                category, kept when the keypoint types labelled in both (each on some instance \
                of the category there) number at least --min-shared of the category's \
                keypoints. Images missing from --images, unreadable, or of another size than \
                the file states are left out (one line each on stderr, counted in the \
                summary). Exit status 0 written, 1 the file or an option is wrong (one line \
                naming the image or annotation).
                """
        )

        @Argument(help: "The COCO keypoint JSON (images, annotations with keypoints, categories with keypoints).")
        var annotations: String

        @Option(help: "The folder of the images (file_name is looked up as given, then by its base name).")
        var images: String

        @Option(help: "Where to write the split (SPLIT/pairs.json); its images go to SPLIT/images/.")
        var out: String

        @Option(help: "The split's name (default: the name of the folder of --out).")
        var name: String?

        @Option(name: .customLong("category"), help: "Import only this category (repeatable; default: every category with keypoints).")
        var categories: [String] = []

        @Option(help: "The fraction of a category's keypoints that both images of a pair must label (0...1).")
        var minShared = 0.30

        @Option(help: "At most this many pairs per category: a seeded sample of the kept pairs.")
        var maxPairs: Int?

        @Option(help: "Seed of --max-pairs and --disjoint.")
        var seed: UInt64 = 0

        @Flag(help: "Keep instances without a labelled keypoint (they never make an image pairable).")
        var keepUnlabelled = false

        @Flag(help: "Put each image on a source or a target side and keep source→target pairs only: no target is any pair's source (a leak-free hidden benchmark).")
        var disjoint = false

        @Flag(help: "Copy the images instead of linking them.")
        var copy = false

        func validate() throws {
            guard minShared.isFinite, (0...1).contains(minShared) else { throw ValidationError("--min-shared must be a fraction from 0 to 1") }
            if let maxPairs, maxPairs < 1 { throw ValidationError("--max-pairs must be positive") }
        }

        func run() throws {
            let start = ContinuousClock.now
            var options = COCOImportOptions(imagesFolder: images)
            options.categories = categories
            options.minShared = minShared
            options.maxPairs = maxPairs
            options.seed = seed
            options.keepUnlabelled = keepUnlabelled
            options.disjoint = disjoint
            let splitName = name ?? URL(fileURLWithPath: out).deletingLastPathComponent().standardizedFileURL.lastPathComponent
            do {
                let file = try COCOKeypointFile.load(path: annotations)
                Self.log("read \(annotations): \(file.images.count) images, \(file.annotations.count) annotations, "
                         + "\(file.categories.count) categories (\(Self.elapsed(since: start)))")
                let plan = try COCOImport.plan(file, options: options, log: Self.log)
                guard plan.pairCount > 0 else {
                    throw DatasetError.noPairs("no two images found of a category share \(minShared) of its keypoints")
                }
                try SplitWriter.write(plan, name: splitName, to: out, copyImages: copy)
                for line in Self.summary(plan.summary) { Self.log(line) }
                Self.log("wrote \(out): \(plan.images.count) images, \(plan.instances.count) instances, "
                         + "\(plan.pairCount) pairs (\(Self.elapsed(since: start)))")
            } catch let error as DatasetError {
                throw PairsFailure(description: error.description)
            }
        }

        static func summary(_ summary: ImportSummary) -> [String] {
            let left = summary.imagesMissing + summary.imagesMismatched + summary.imagesUnreadable
            return [
                "images: \(summary.imagesChecked) checked, \(left) left out (\(summary.imagesMissing) missing, "
                    + "\(summary.imagesMismatched) of another size, \(summary.imagesUnreadable) unreadable)",
                "instances: \(summary.instancesKept) kept; left out \(summary.droppedCrowd) crowd, "
                    + "\(summary.droppedUnlabelled) without a labelled keypoint, \(summary.droppedImageLeftOut) of images left out, "
                    + "\(summary.droppedUnpaired) of images in no pair, \(summary.droppedOtherCategory) of other categories"
                    + (summary.degeneratePolygons > 0 ? "; \(summary.degeneratePolygons) polygons of under 3 points dropped" : ""),
            ]
        }

        static func log(_ line: String) {
            FileHandle.standardError.write(Data("dpcl pairs: \(line)\n".utf8))
        }

        static func elapsed(since start: ContinuousClock.Instant) -> String {
            String(format: "%.1f s", Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000)
        }
    }
}

/// A file or option the import cannot use: printed as `Error: <what to fix>`, exit status 1.
struct PairsFailure: Error, CustomStringConvertible {
    var description: String
}
