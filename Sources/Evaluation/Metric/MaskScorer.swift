// The co-segmentation half of the metric for one pair: predicted target instances matched
// one-to-one to the masked ground-truth target instances by IoU (Hungarian, maximising
// total IoU); each ground-truth instance contributes its IoU, 0 when unmatched. IoU is
// computed on the runs of the RLE masks, never on decoded pixels.
import Imaging

struct MaskScorer {
    let benchmark: Benchmark
    /// Whether any predicted instance carried a mask: without one, mIoU is null.
    private(set) var sawMasks = false
    private var solver = HungarianSolver<Double>()
    private var predicted: [RLE] = []
    private var iou: [Double] = []

    init(benchmark: Benchmark) {
        self.benchmark = benchmark
    }

    /// Checks every predicted mask against the target image (size, rasterisable polygons)
    /// and keeps them for `score`.
    mutating func check(_ entry: PairEntry, pair: Benchmark.Pair) throws {
        predicted.removeAll(keepingCapacity: true)
        let image = benchmark.images[pair.target]
        let expected = [Int(image.height), Int(image.width)]
        for (index, instance) in entry.instances.enumerated() {
            guard let segmentation = instance.mask else { continue }
            predicted.append(try segmentation.rle(
                imageSize: expected, role: .submission,
                at: PairEntry.path(pair: entry.index, "instances", index, "segmentation")))
        }
        if !predicted.isEmpty { sawMasks = true }
    }

    /// The sum of the IoUs of the pair's masked ground-truth target instances with the
    /// masks kept by the last `check`.
    mutating func score(pairIndex: Int) -> Double {
        guard !predicted.isEmpty, let targetSet = benchmark.targetSet[pairIndex] else { return 0 }
        let truths = benchmark.instanceSets[targetSet].maskedInstances
        guard !truths.isEmpty else { return 0 }
        iou.removeAll(keepingCapacity: true)
        for truth in truths {
            // Masked instances have a mask by construction; sizes match (checked above and at load).
            guard let mask = benchmark.instances[truth].mask else { continue }
            for prediction in predicted {
                iou.append((try? RLE.iou(mask, prediction)) ?? 0)
            }
        }
        let columns = predicted.count
        let matrix = iou
        solver.solve(rows: truths.count, columns: columns) { -matrix[$0 * columns + $1] }
        var total = 0.0
        for row in 0..<truths.count where solver.columnOfRow[row] >= 0 {
            total += matrix[row * columns + solver.columnOfRow[row]]
        }
        return total
    }
}
