// The public part of a benchmark, derived once from its ground truth: categories, images,
// pairs and the source instances (keypoints, masks), never a target's annotations. It is a
// misc-pairs/v1 document itself, so `dpcl match --pairs` runs on it as it is. And how much
// of the truth that document gives away.
import Foundation

/// How much of a benchmark's truth its public inputs carry: of the target instances (every
/// instance of a pair's category on a pair's target image, each counted once), those whose
/// keypoints or mask the inputs hold on that image. An image that is one pair's target and
/// another's source leaks its instances.
public struct Leak: Sendable, Equatable {
    public let targetInstances: Int
    public let leakedInstances: Int

    public init(targetInstances: Int, leakedInstances: Int) {
        self.targetInstances = targetInstances
        self.leakedInstances = leakedInstances
    }

    public var share: Double { targetInstances == 0 ? 0 : Double(leakedInstances) / Double(targetInstances) }

    /// "87.5% of the target instances (35 of 40)".
    public var summary: String {
        String(format: "%.1f%%", share * 100) + " of the target instances (\(leakedInstances) of \(targetInstances))"
    }
}

enum BenchmarkInputs {
    struct Image {
        let file: String
        let width: Int
        let height: Int
    }

    /// The inputs document's bytes, the images it names, and its leak, measured on the
    /// instances that document holds. The ground truth was checked by the Evaluation module already; what is read
    /// here is what that check does not cover.
    static func make(groundTruth: Data) throws -> (document: [UInt8], images: [Image], leak: Leak) {
        guard let document = try JSONSerialization.jsonObject(with: groundTruth) as? [String: Any],
              let images = document["images"] as? [[String: Any]], let pairs = document["pairs"] as? [[String: Any]],
              let instances = document["instances"] as? [[String: Any]] else {
            throw LeaderboardError.invalidDocument("the ground truth has no images, instances or pairs")
        }
        // (image, category) of every pair's source: the instances that may be shown.
        var sources = Set<String>()
        for pair in pairs {
            if let image = pair["source"] as? String, let category = pair["category"] as? String { sources.insert(image + "\u{0}" + category) }
        }
        let shown = instances.filter { instance in
            guard let image = instance["image"] as? String, let category = instance["category"] as? String else { return false }
            return sources.contains(image + "\u{0}" + category)
        }
        var files: [Image] = []
        var seen = Set<String>()
        for (index, image) in images.enumerated() {
            guard let file = image["file"] as? String else {
                throw LeaderboardError.invalidDocument("images[\(index)] has no file")
            }
            try checkRelativePath(file, at: "images[\(index)].file")
            guard seen.insert(file).inserted else {
                throw LeaderboardError.invalidDocument("images[\(index)].file \(file) is named twice")
            }
            files.append(Image(file: file, width: (image["width"] as? NSNumber)?.intValue ?? 0,
                               height: (image["height"] as? NSNumber)?.intValue ?? 0))
        }
        var inputs = document
        inputs["instances"] = shown
        inputs["public_inputs"] = true
        let bytes = try JSONSerialization.data(withJSONObject: inputs, options: [.sortedKeys, .withoutEscapingSlashes])
        return (Array(bytes), files, leak(instances: instances, pairs: pairs, shown: shown))
    }

    /// The target instances of `instances` (the ground truth's) whose annotations `shown`
    /// (the inputs document's instances, exactly as it is written) holds, compared by content
    /// rather than by id, whatever rule chose the instances shown.
    static func leak(instances: [[String: Any]], pairs: [[String: Any]], shown: [[String: Any]]) -> Leak {
        func key(_ instance: [String: Any]) -> String? {
            guard let image = instance["image"] as? String, let category = instance["category"] as? String else { return nil }
            return image + "\u{0}" + category
        }
        let targets = Set(pairs.compactMap { pair -> String? in
            guard let image = pair["target"] as? String, let category = pair["category"] as? String else { return nil }
            return image + "\u{0}" + category
        })
        // What the inputs show of each (image, category): keypoints and masks, canonical.
        var annotations: [String: Set<Data>] = [:]
        for instance in shown {
            guard let key = key(instance), targets.contains(key) else { continue }
            annotations[key, default: []].formUnion(truth(of: instance))
        }
        var total = 0, leaked = 0
        for instance in instances {
            guard let key = key(instance), targets.contains(key) else { continue }
            total += 1
            if let seen = annotations[key], !seen.isDisjoint(with: truth(of: instance)) { leaked += 1 }
        }
        return Leak(targetInstances: total, leakedInstances: leaked)
    }

    /// An instance's scored truth as canonical JSON: its keypoints (when one is labelled) and
    /// its mask (when it has one).
    private static func truth(of instance: [String: Any]) -> Set<Data> {
        var parts = Set<Data>()
        if let keypoints = instance["keypoints"] as? [[Any]],
           keypoints.contains(where: { ($0.count > 2 ? ($0[2] as? NSNumber)?.doubleValue ?? 0 : 0) > 0 }),
           let data = try? JSONSerialization.data(withJSONObject: ["keypoints": keypoints], options: .sortedKeys) {
            parts.insert(data)
        }
        if let segmentation = instance["segmentation"],
           let data = try? JSONSerialization.data(withJSONObject: ["segmentation": segmentation], options: .sortedKeys) {
            parts.insert(data)
        }
        return parts
    }

    /// A file name inside the benchmark's folder: relative, no `.` or `..` segment, no
    /// backslash or NUL.
    static func checkRelativePath(_ file: String, at location: String) throws(LeaderboardError) {
        let segments = file.split(separator: "/", omittingEmptySubsequences: false)
        let bad = file.isEmpty || file.hasPrefix("/") || file.contains("\\") || file.contains("\u{0}")
            || segments.contains { $0.isEmpty || $0 == "." || $0 == ".." }
        if bad { throw .invalidDocument("\(location) \"\(file)\" must be a relative path without . or .. segments") }
    }
}
