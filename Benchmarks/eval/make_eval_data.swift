// Writes a synthetic benchmark the size of MISC210K (218,179 pairs over 4,812 images in 34
// categories of 5 to 52 keypoints, up to 4 instances per image, masks on about a tenth of
// the pairs) and a submission for it of about 1 GB, plus a 2% sample of both (only the
// images the sampled pairs use). Deterministic: the same files on every run.
// Usage: make_eval_data OUTPUT_DIR [pairs]
import Foundation

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { uniform() < p }
    /// Roughly normal (sum of uniforms).
    mutating func normal() -> Double { (uniform() + uniform() + uniform() + uniform() - 2) * 1.73 }
}

/// A byte buffer flushed to a file in large writes.
final class Output {
    private let handle: FileHandle
    private var bytes: [UInt8] = []
    private(set) var written = 0
    init(_ path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = FileHandle(forWritingAtPath: path)!
        bytes.reserveCapacity(1 << 22)
    }
    @inline(__always) func put(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        if bytes.count > 1 << 22 { flush() }
    }
    func put(_ text: String) { bytes.append(contentsOf: text.utf8); if bytes.count > 1 << 22 { flush() } }
    func put(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")); put(-value); return }
        if value >= 10 { put(value / 10) }
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
    /// A non-negative number with `decimals` decimals (trailing zeros kept).
    func put(_ value: Double, decimals: Int) {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let fixed = Int((max(0, value) * Double(scale)).rounded())
        put(fixed / scale)
        bytes.append(UInt8(ascii: "."))
        var fraction = fixed % scale
        var digits = [UInt8](repeating: 0, count: decimals)
        for index in stride(from: decimals - 1, through: 0, by: -1) { digits[index] = UInt8(ascii: "0") + UInt8(fraction % 10); fraction /= 10 }
        bytes.append(contentsOf: digits)
    }
    func flush() { handle.write(Data(bytes)); written += bytes.count; bytes.removeAll(keepingCapacity: true) }
    func close() { flush(); try? handle.close() }
}

struct Instance { var id: Int; var box: (x0: Int, y0: Int, x1: Int, y1: Int); var points: [(x: Double, y: Double, v: Int)] }
struct Image { var id: String; var width: Int; var height: Int; var category: Int; var instances: [Instance]; var masked: Bool }

/// COCO compressed RLE of a rectangle (column-major runs starting with background), JSON-escaped.
func rectangleRLE(height: Int, width: Int, box: (x0: Int, y0: Int, x1: Int, y1: Int)) -> String {
    let rows = box.y1 - box.y0
    var counts = [box.x0 * height + box.y0]
    for column in box.x0..<box.x1 {
        counts.append(rows)
        counts.append(column == box.x1 - 1 ? height * width - (column * height + box.y1) : height - rows)
    }
    var out: [UInt8] = []
    for index in counts.indices {
        var x = counts[index]
        if index > 2 { x -= counts[index - 2] }
        var more = true
        while more {
            var c = x & 0x1F
            x >>= 5
            more = (c & 0x10) != 0 ? x != -1 : x != 0
            if more { c |= 0x20 }
            // Characters 48...111; a backslash (92) needs escaping inside a JSON string.
            if c + 48 == 92 { out.append(92) }
            out.append(UInt8(c + 48))
        }
    }
    return String(decoding: out, as: UTF8.self)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { print("usage: make_eval_data OUTPUT_DIR [pairs]"); exit(2) }
let folder = arguments[1]
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
let pairCount = arguments.count > 2 ? Int(arguments[2])! : 218_179
let imageCount = 4_812, categoryCount = 34
var random = SplitMix64(state: 210_000)

let keypointCounts = (0..<categoryCount).map { 5 + ($0 * 47) / (categoryCount - 1) }
var nextInstance = 1
var images: [Image] = []
for index in 0..<imageCount {
    let width = random.int(320...640), height = random.int(240...640)
    let category = index % categoryCount
    let roll = random.uniform()
    let count = roll < 0.4 ? 1 : roll < 0.7 ? 2 : roll < 0.9 ? 3 : 4
    var instances: [Instance] = []
    for _ in 0..<count {
        let w = random.int(40...width / 2), h = random.int(40...height / 2)
        let x0 = random.int(0...(width - w)), y0 = random.int(0...(height - h))
        let points = (0..<keypointCounts[category]).map { _ -> (x: Double, y: Double, v: Int) in
            random.chance(0.35)
                ? (Double(x0) + random.uniform() * Double(w), Double(y0) + random.uniform() * Double(h), random.chance(0.8) ? 2 : 1)
                : (0, 0, 0)
        }
        instances.append(Instance(id: nextInstance, box: (x0, y0, x0 + w, y0 + h), points: points))
        nextInstance += 1
    }
    images.append(Image(id: String(format: "%012d", 1_000_000 + index), width: width, height: height,
                        category: category, instances: instances, masked: (index / categoryCount) % 10 == 3))
}
let imagesOfCategory = (0..<categoryCount).map { category in images.indices.filter { images[$0].category == category } }

// Pairs: distinct ordered image pairs within a category, spread evenly over categories.
var pairs: [(id: String, category: Int, source: Int, target: Int)] = []
for category in 0..<categoryCount {
    let members = imagesOfCategory[category]
    let wanted = pairCount / categoryCount + (category < pairCount % categoryCount ? 1 : 0)
    var seen = Set<Int>()
    while seen.count < wanted {
        let source = members[random.int(0...(members.count - 1))], target = members[random.int(0...(members.count - 1))]
        guard source != target, seen.insert(source * imageCount + target).inserted else { continue }
        pairs.append((String(format: "cat%02d-%06d", category, seen.count), category, source, target))
    }
}

func writeGroundTruth(_ path: String, pairs selected: [Int]) -> Int {
    let out = Output(path)
    var used = Set<Int>()
    for pair in selected { used.insert(pairs[pair].source); used.insert(pairs[pair].target) }
    let imageList = images.indices.filter { used.contains($0) }
    out.put("{\"format\": \"misc-pairs/v1\", \"name\": \"synthetic-misc210k\",\n\"categories\": [")
    for category in 0..<categoryCount {
        if category > 0 { out.put(", ") }
        out.put("{\"name\": \"cat\(String(format: "%02d", category))\", \"keypoints\": [")
        out.put((0..<keypointCounts[category]).map { "\"kp\($0)\"" }.joined(separator: ", "))
        out.put("]}")
    }
    out.put("],\n\"images\": [")
    for (n, index) in imageList.enumerated() {
        let image = images[index]
        out.put(n == 0 ? "\n" : ",\n")
        out.put("{\"id\": \"\(image.id)\", \"file\": \"images/\(image.id).jpg\", \"width\": \(image.width), \"height\": \(image.height)}")
    }
    out.put("],\n\"instances\": [")
    var first = true
    for index in imageList {
        let image = images[index]
        for instance in image.instances {
            out.put(first ? "\n" : ",\n")
            first = false
            out.put("{\"id\": "); out.put(instance.id)
            out.put(", \"image\": \"\(image.id)\", \"category\": \"cat\(String(format: "%02d", image.category))\", \"bbox\": [")
            out.put("\(instance.box.x0), \(instance.box.y0), \(instance.box.x1 - instance.box.x0), \(instance.box.y1 - instance.box.y0)]")
            if image.masked {
                out.put(", \"segmentation\": {\"size\": [\(image.height), \(image.width)], \"counts\": \"")
                out.put(rectangleRLE(height: image.height, width: image.width, box: instance.box))
                out.put("\"}")
            }
            out.put(", \"keypoints\": [")
            for (k, point) in instance.points.enumerated() {
                if k > 0 { out.put(", ") }
                out.put("["); out.put(point.x, decimals: 2); out.put(", "); out.put(point.y, decimals: 2); out.put(", "); out.put(point.v); out.put("]")
            }
            out.put("]}")
        }
    }
    out.put("],\n\"pairs\": [")
    for (n, pair) in selected.enumerated() {
        out.put(n == 0 ? "\n" : ",\n")
        let p = pairs[pair]
        out.put("{\"id\": \"\(p.id)\", \"category\": \"cat\(String(format: "%02d", p.category))\", \"source\": \"\(images[p.source].id)\", \"target\": \"\(images[p.target].id)\"}")
    }
    out.put("]}\n")
    out.close()
    return out.written
}

/// The submission: per labelled source keypoint, a prediction on most target instances
/// (near the truth where it is labelled, anywhere on the instance otherwise) and sometimes
/// a stray one; predicted instance masks (shifted boxes) where the target has masks.
func writeSubmission(_ path: String, pairs selected: [Int], seed: UInt64) -> (bytes: Int, matches: Int) {
    var random = SplitMix64(state: seed)
    let out = Output(path)
    var matches = 0
    out.put("{\"format\": \"misc-predictions/v1\", \"benchmark\": \"synthetic-misc210k\", \"method\": \"synthetic\", \"pairs\": [")
    for (n, pair) in selected.enumerated() {
        let p = pairs[pair]
        let source = images[p.source], target = images[p.target]
        let scale = Double(max(target.width, target.height))
        out.put(n == 0 ? "\n" : ",\n")
        out.put("{\"pair\": \"\(p.id)\", \"matches\": [")
        var first = true
        func emit(_ sourceID: Int, _ k: Int, _ x: Double, _ y: Double, _ targetID: Int) {
            out.put(first ? "\n " : ",\n ")
            first = false
            out.put("{\"source_instance\": "); out.put(sourceID)
            out.put(", \"keypoint\": "); out.put(k)
            out.put(", \"x\": "); out.put(min(Double(target.width), max(0, x)), decimals: 2)
            out.put(", \"y\": "); out.put(min(Double(target.height), max(0, y)), decimals: 2)
            out.put(", \"score\": "); out.put(0.5 + random.uniform() / 2, decimals: 3)
            out.put(", \"target_instance\": "); out.put(targetID)
            out.put("}")
            matches += 1
        }
        for sourceInstance in source.instances {
            for (k, point) in sourceInstance.points.enumerated() where point.v > 0 {
                for (t, instance) in target.instances.enumerated() where random.chance(0.9) {
                    let truth = instance.points[k]
                    if truth.v > 0 {
                        let noise = [0.01, 0.04, 0.08, 0.3][random.int(0...3)] * scale
                        emit(sourceInstance.id, k, truth.x + random.normal() * noise, truth.y + random.normal() * noise, t + 1)
                    } else {
                        let box = instance.box
                        emit(sourceInstance.id, k, Double(box.x0) + random.uniform() * Double(box.x1 - box.x0),
                             Double(box.y0) + random.uniform() * Double(box.y1 - box.y0), t + 1)
                    }
                }
                if random.chance(0.7) {
                    emit(sourceInstance.id, k, random.uniform() * Double(target.width), random.uniform() * Double(target.height), 0)
                }
            }
        }
        out.put("]")
        if target.masked {
            out.put(", \"instances\": [")
            for (t, instance) in target.instances.enumerated() {
                if t > 0 { out.put(", ") }
                let dx = random.int(-10...10), dy = random.int(-10...10)
                let box = (x0: max(0, instance.box.x0 + dx), y0: max(0, instance.box.y0 + dy),
                           x1: min(target.width, instance.box.x1 + dx), y1: min(target.height, instance.box.y1 + dy))
                out.put("{\"id\": \(t + 1), \"score\": 0.9, \"segmentation\": {\"size\": [\(target.height), \(target.width)], \"counts\": \"")
                out.put(rectangleRLE(height: target.height, width: target.width, box: box))
                out.put("\"}}")
            }
            out.put("]")
        }
        out.put("}")
    }
    out.put("]}\n")
    out.close()
    return (out.written, matches)
}

let all = Array(pairs.indices)
let sample = all.filter { $0 % 50 == 7 }
let gtBytes = writeGroundTruth("\(folder)/gt.json", pairs: all)
let submission = writeSubmission("\(folder)/pred.json", pairs: all, seed: 1)
let sampleGT = writeGroundTruth("\(folder)/sample-gt.json", pairs: sample)
let sampleSubmission = writeSubmission("\(folder)/sample-pred.json", pairs: sample, seed: 2)
print("pairs=\(pairs.count) images=\(images.count) instances=\(nextInstance - 1) gt_bytes=\(gtBytes) "
      + "pred_bytes=\(submission.bytes) matches=\(submission.matches) "
      + "sample_pairs=\(sample.count) sample_gt_bytes=\(sampleGT) sample_pred_bytes=\(sampleSubmission.bytes)")
