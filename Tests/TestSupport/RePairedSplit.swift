// A split's ground truth with its pairs chosen by hand (by image index), for benchmarks whose
// sources and targets overlap or not: the leak tests build a disjoint split this way.
import Foundation

public enum RePairedSplit {
    /// Writes `truth`'s document, named `name`, with one pair per (source, target) of
    /// `pairs` (indices into its `images`, the first category), to `path`; its images and
    /// instances as they are.
    public static func write(from truth: String, name: String, pairs: [(source: Int, target: Int)], to path: String) throws {
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        let images = (document["images"] as! [[String: Any]]).map { $0["id"] as! String }
        let category = (document["categories"] as! [[String: Any]])[0]["name"] as! String
        document["name"] = name
        document["pairs"] = pairs.enumerated().map { index, pair in
            ["id": "\(name)-\(index + 1)", "category": category, "source": images[pair.source], "target": images[pair.target]]
        }
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
    }

    /// The number of instances on each image of `truth`, in its `images` order.
    public static func instanceCounts(_ truth: String) throws -> [Int] {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truth))) as! [String: Any]
        let instances = document["instances"] as! [[String: Any]]
        return (document["images"] as! [[String: Any]]).map { image in
            instances.filter { $0["image"] as? String == image["id"] as? String }.count
        }
    }
}
