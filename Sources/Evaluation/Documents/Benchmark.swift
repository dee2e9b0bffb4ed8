// A benchmark split (misc-pairs/v1) resolved into indices and flat arrays: everything the
// scorer looks up per pair, precomputed once (instances per image and category, the truth
// locations per keypoint, the number of groups each pair contributes).
import Imaging

public struct Benchmark: Sendable {
    public struct Category: Sendable, Equatable {
        public let name: String
        public let keypoints: [String]
    }

    public struct Image: Sendable, Equatable {
        public let id: String
        public let width: Double
        public let height: Double
        /// The α-threshold scale of FORMATS.md: max(width, height).
        public var scale: Double { max(width, height) }
    }

    public struct Instance: Sendable {
        public let id: Int
        public let image: Int
        public let category: Int
        /// Index of keypoint 0 in `keypointX` / `keypointY` / `keypointLabelled`.
        public let keypointStart: Int
        /// The instance's mask at its image's size (polygons rasterised once, at load).
        public let mask: RLE?
    }

    public struct Pair: Sendable, Equatable {
        public let id: String
        public let category: Int
        public let source: Int
        public let target: Int
    }

    /// The instances of one category in one image, and their labelled locations keypoint by
    /// keypoint (`truthStart[k]..<truthStart[k + 1]` index `truthX` / `truthY`).
    public struct InstanceSet: Sendable {
        public let instances: [Int]
        public let truthStart: [Int]
        public let truthX: [Double]
        public let truthY: [Double]
        /// The instances that carry a mask, in `instances` order.
        public let maskedInstances: [Int]

        public func truthCount(keypoint: Int) -> Int { truthStart[keypoint + 1] - truthStart[keypoint] }
    }

    public let name: String
    public let categories: [Category]
    public let images: [Image]
    public let instances: [Instance]
    public let pairs: [Pair]
    public let keypointX: [Double]
    public let keypointY: [Double]
    public let keypointLabelled: [Bool]
    public let instanceSets: [InstanceSet]
    /// Per pair: the instance set of its category in the source and in the target image.
    public let sourceSet: [Int?]
    public let targetSet: [Int?]
    /// Per pair: how many groups (source instance, keypoint) with target truth it has.
    public let groupsPerPair: [Int]
    public let pairIndex: [String: Int]

    public func isLabelled(instance: Int, keypoint: Int) -> Bool {
        keypointLabelled[instances[instance].keypointStart + keypoint]
    }

    /// Groups per category over the whole benchmark: the denominators of the means.
    public func groupsPerCategory() -> [Int] {
        var totals = [Int](repeating: 0, count: categories.count)
        for (index, pair) in pairs.enumerated() { totals[pair.category] += groupsPerPair[index] }
        return totals
    }

    /// Masked ground-truth target instances per category, counted once per pair: the
    /// denominators of mIoU.
    public func maskedTargetsPerCategory() -> [Int] {
        var totals = [Int](repeating: 0, count: categories.count)
        for (index, pair) in pairs.enumerated() {
            if let set = targetSet[index] { totals[pair.category] += instanceSets[set].maskedInstances.count }
        }
        return totals
    }
}
