// Predictions made from a benchmark's own ground truth: every labelled source keypoint
// matched onto every target instance that shows it, labelled with that instance, and the
// target masks as instances. Scores 1.0 as they are; `shift` moves every match (pixels).
import Foundation

public enum TruthPredictions {
    public static func make(groundTruth path: String, method: String, shift: Double = 0) throws -> Data {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        let instances = document["instances"] as! [[String: Any]]
        func of(_ image: String, _ category: String) -> [[String: Any]] {
            instances.filter { $0["image"] as? String == image && $0["category"] as? String == category }
        }
        func labelled(_ instance: [String: Any], _ keypoint: Int) -> (Double, Double)? {
            let point = (instance["keypoints"] as! [[Double]])[keypoint]
            return point[2] > 0 ? (point[0], point[1]) : nil
        }
        var pairs: [[String: Any]] = []
        for pair in document["pairs"] as! [[String: Any]] {
            let category = pair["category"] as! String
            let sources = of(pair["source"] as! String, category), targets = of(pair["target"] as! String, category)
            var matches: [[String: Any]] = []
            for source in sources {
                for keypoint in 0..<(source["keypoints"] as! [[Double]]).count where labelled(source, keypoint) != nil {
                    for target in targets {
                        guard let (x, y) = labelled(target, keypoint) else { continue }
                        matches.append(["source_instance": source["id"]!, "keypoint": keypoint, "x": x + shift, "y": y,
                                        "score": 1.0, "target_instance": target["id"]!])
                    }
                }
            }
            let predicted = targets.compactMap { target -> [String: Any]? in
                guard let mask = target["segmentation"] as? [String: Any] else { return nil }
                return ["id": target["id"]!, "score": 1.0, "segmentation": mask]
            }
            pairs.append(["pair": pair["id"]!, "matches": matches, "instances": predicted])
        }
        return try JSONSerialization.data(withJSONObject: ["format": "misc-predictions/v1", "benchmark": document["name"]!,
                                                           "method": method, "pairs": pairs], options: [.sortedKeys])
    }
}
