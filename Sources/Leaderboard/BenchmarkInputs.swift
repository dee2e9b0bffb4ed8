// The public part of a benchmark, derived once from its ground truth: categories, images,
// pairs and the source instances (keypoints, masks), never a target's annotations. It is a
// misc-pairs/v1 document itself, so `dpcl match --pairs` runs on it as it is.
import Foundation

enum BenchmarkInputs {
    struct Image {
        let file: String
        let width: Int
        let height: Int
    }

    /// The inputs document's bytes and the images it names. The ground truth was checked by
    /// the Evaluation module already; what is read here is what that check does not cover.
    static func make(groundTruth: Data) throws -> (document: [UInt8], images: [Image]) {
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
        return (Array(bytes), files)
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
