// The paper's pairing rule on bit rows: per image of a category, the keypoint types labelled
// on some instance there; a pair keeps when the rows share enough bits. Pairs are never held
// as structs: the full set is enumerated twice (count, then write), a sample is packed ids.

/// One row of bits per image of a category: keypoint k labelled on some instance there.
struct KeypointSets: Sendable {
    let words: Int
    private(set) var bits: [UInt64]

    init(count: Int, keypoints: Int) {
        words = max(1, (keypoints + 63) / 64)
        bits = [UInt64](repeating: 0, count: count * words)
    }

    mutating func add(labelledIn keypoints: [Double], to row: Int) {
        for keypoint in 0..<keypoints.count / 3 where keypoints[3 * keypoint + 2] > 0 {
            bits[row * words + keypoint / 64] |= 1 << UInt64(keypoint % 64)
        }
    }

    func shared(_ a: Int, _ b: Int) -> Int {
        var count = 0
        for word in 0..<words { count += (bits[a * words + word] & bits[b * words + word]).nonzeroBitCount }
        return count
    }
}

/// The candidates of one category (every ordered pair of two different images, or with
/// sides every source→target pair) and the rule that keeps them.
struct Pairing: Sendable {
    let sets: KeypointSets
    let needed: Int
    /// Rows that may be a source, and a target, ascending (rows are in image id order).
    let sources: [Int]
    let targets: [Int]
    let hasSides: Bool

    init(sets: KeypointSets, needed: Int, isSource: [Bool]?) {
        self.sets = sets
        self.needed = needed
        let rows = Array(0..<sets.bits.count / sets.words)
        hasSides = isSource != nil
        sources = isSource.map { side in rows.filter { side[$0] } } ?? rows
        targets = isSource.map { side in rows.filter { !side[$0] } } ?? rows
    }

    var candidateCount: Int { hasSides ? sources.count * targets.count : sources.count * max(sources.count - 1, 0) }

    /// Candidate `index` of `0..<candidateCount`, in (source, target) order.
    func candidate(_ index: Int) -> (source: Int, target: Int) {
        if hasSides { return (sources[index / targets.count], targets[index % targets.count]) }
        let source = index / (sources.count - 1), rest = index % (sources.count - 1)
        return (source, rest < source ? rest : rest + 1)
    }

    func keeps(_ source: Int, _ target: Int) -> Bool { sets.shared(source, target) >= needed }

    /// Every kept pair in (source, target) order.
    func forEachKept(_ body: (_ source: Int, _ target: Int) -> Void) {
        for source in sources {
            for target in targets where target != source && keeps(source, target) { body(source, target) }
        }
    }

    /// Up to `limit` kept pairs in (source, target) order: the first kept candidates of a
    /// seeded permutation of all, so only as many candidates are tried as the sample needs.
    func sample(_ limit: Int, seed: UInt64) -> [UInt64] {
        let permutation = RandomPermutation(count: UInt64(candidateCount), seed: seed)
        var picked: [UInt64] = []
        picked.reserveCapacity(min(limit, candidateCount))
        var index: UInt64 = 0
        while picked.count < limit && index < permutation.count {
            let (source, target) = candidate(Int(permutation[index]))
            if keeps(source, target) { picked.append(UInt64(source) << 32 | UInt64(target)) }
            index += 1
        }
        picked.sort()
        return picked
    }
}

/// The pairs of one category as the split will hold them.
public struct CategoryPairs: Sendable {
    public let category: Int
    public let count: Int
    let pairing: Pairing
    /// Row → image (an index of the COCO file while planning, of the split after `mapImages`).
    private(set) var images: [Int]
    /// The sample as `source row << 32 | target row`, in order; nil: every kept pair.
    let sample: [UInt64]?
    /// Rows that some kept pair uses.
    let usedRows: [Bool]

    init(category: Int, pairing: Pairing, images: [Int], maxPairs: Int?, seed: UInt64) {
        self.category = category
        self.pairing = pairing
        self.images = images
        var used = [Bool](repeating: false, count: images.count)
        if let maxPairs, maxPairs < pairing.candidateCount {
            let sample = pairing.sample(maxPairs, seed: seed)
            for packed in sample {
                used[Int(packed >> 32)] = true
                used[Int(packed & 0xFFFF_FFFF)] = true
            }
            self.sample = sample
            count = sample.count
        } else {
            var kept = 0
            pairing.forEachKept { source, target in
                kept += 1
                used[source] = true
                used[target] = true
            }
            sample = nil
            count = kept
        }
        usedRows = used
    }

    func markUsed(_ used: inout [Bool]) {
        for (row, isUsed) in usedRows.enumerated() where isUsed { used[images[row]] = true }
    }

    mutating func mapImages(_ map: [Int]) { images = images.map { map[$0] } }

    /// Every pair as (source image, target image), in order.
    public func forEach(_ body: (_ source: Int, _ target: Int) -> Void) {
        if let sample {
            for packed in sample { body(images[Int(packed >> 32)], images[Int(packed & 0xFFFF_FFFF)]) }
        } else {
            pairing.forEachKept { body(images[$0], images[$1]) }
        }
    }
}

/// `--disjoint`: one side per image for all its categories. Images are taken in a seeded
/// random order; each goes to the side its categories have fewer images on so far (summed
/// over its categories; a tie is a seeded coin), so every category ends up split about in
/// half, which keeps the most source→target pairs (|S|·|T| is largest when |S| = |T|).
enum SideAssignment {
    /// Whether each image of the file (by index) is on the source side.
    static func assign(participants: [[Int]], imageIDs: [Int], seed: UInt64) -> [Bool] {
        var categoriesOf = [[Int]](repeating: [], count: imageIDs.count)
        for (category, images) in participants.enumerated() {
            for image in images { categoriesOf[image].append(category) }
        }
        let order = imageIDs.indices.filter { !categoriesOf[$0].isEmpty }
            .map { (key: mix(seed ^ mix(UInt64(bitPattern: Int64(imageIDs[$0])))), image: $0) }
            .sorted { ($0.key, imageIDs[$0.image]) < ($1.key, imageIDs[$1.image]) }
        var balance = [Int](repeating: 0, count: participants.count)
        var isSource = [Bool](repeating: false, count: imageIDs.count)
        for (key, image) in order {
            let lean = categoriesOf[image].reduce(0) { $0 + balance[$1] }
            let source = lean < 0 || (lean == 0 && key & 1 == 0)
            isSource[image] = source
            for category in categoriesOf[image] { balance[category] += source ? 1 : -1 }
        }
        return isSource
    }
}

/// A seeded permutation of `0..<count` without a table: a 4-round Feistel network on the
/// smallest even number of bits that holds `count`, cycle-walked back into range.
struct RandomPermutation {
    let count: UInt64
    private let halfBits: UInt64
    private let keys: [UInt64]

    init(count: UInt64, seed: UInt64) {
        self.count = count
        let bits = count > 1 ? UInt64(64 - (count - 1).leadingZeroBitCount) : 1
        halfBits = (bits + 1) / 2
        keys = (1...4).map { mix(seed &+ UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
    }

    subscript(index: UInt64) -> UInt64 {
        var value = index
        repeat { value = encrypt(value) } while value >= count
        return value
    }

    private func encrypt(_ value: UInt64) -> UInt64 {
        let mask: UInt64 = (1 << halfBits) - 1
        var left = value >> halfBits, right = value & mask
        for key in keys { (left, right) = (right, left ^ (mix(right ^ key) & mask)) }
        return left << halfBits | right
    }
}

/// SplitMix64's finaliser: a well-spread 64-bit hash of `value`.
func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
