// Between Label Studio's results (coordinates in percent of the image) and the matcher:
// an annotation's regions and keypoints (children by `parentID`) become a reference image's
// instances; proposals become one region per instance (a rectangle, the convex polygon of
// its mask, or the mask as a brush) with its keypoints as `keypointlabels` children.
import Foundation
import Imaging
import Matching

enum LabelStudioResults {
    struct Predictions: Encodable {
        let results: [Prediction]
    }

    struct Prediction: Encodable {
        let result: [Region]
        let score: Double
        let modelVersion: String

        enum CodingKeys: String, CodingKey { case result, score, modelVersion = "model_version" }
    }

    struct Region: Encodable {
        let id: String
        let fromName: String
        let toName: String
        let type: String
        let originalWidth: Int
        let originalHeight: Int
        let value: Value
        let score: Double
        let parentID: String?

        enum CodingKeys: String, CodingKey {
            case id, fromName = "from_name", toName = "to_name", type, originalWidth = "original_width"
            case originalHeight = "original_height", imageRotation = "image_rotation", value, score, parentID
        }

        func encode(to encoder: any Encoder) throws {
            var object = encoder.container(keyedBy: CodingKeys.self)
            try object.encode(id, forKey: .id)
            try object.encode(fromName, forKey: .fromName)
            try object.encode(toName, forKey: .toName)
            try object.encode(type, forKey: .type)
            try object.encode(originalWidth, forKey: .originalWidth)
            try object.encode(originalHeight, forKey: .originalHeight)
            try object.encode(0, forKey: .imageRotation)
            try object.encode(value, forKey: .value)
            try object.encode(score, forKey: .score)
            try object.encodeIfPresent(parentID, forKey: .parentID)
        }
    }

    enum Value: Encodable {
        case rectangle(x: Double, y: Double, width: Double, height: Double, label: String)
        case polygon(points: [[Double]], label: String)
        case brush(rle: [UInt8], label: String)
        case keypoint(x: Double, y: Double, label: String)

        enum Keys: String, CodingKey {
            case x, y, width, height, rotation, points, closed, format, rle, rectanglelabels, polygonlabels, brushlabels, keypointlabels
        }

        func encode(to encoder: any Encoder) throws {
            var object = encoder.container(keyedBy: Keys.self)
            switch self {
            case let .rectangle(x, y, width, height, label):
                try object.encode(x, forKey: .x)
                try object.encode(y, forKey: .y)
                try object.encode(width, forKey: .width)
                try object.encode(height, forKey: .height)
                try object.encode(0, forKey: .rotation)
                try object.encode([label], forKey: .rectanglelabels)
            case let .polygon(points, label):
                try object.encode(points, forKey: .points)
                try object.encode(true, forKey: .closed)
                try object.encode([label], forKey: .polygonlabels)
            case let .brush(rle, label):
                try object.encode("rle", forKey: .format)
                try object.encode(rle, forKey: .rle)
                try object.encode([label], forKey: .brushlabels)
            case let .keypoint(x, y, label):
                try object.encode(x, forKey: .x)
                try object.encode(y, forKey: .y)
                // The drawn point's size, as Label Studio's own COCO import sets it.
                try object.encode(1.0, forKey: .width)
                try object.encode([label], forKey: .keypointlabels)
            }
        }
    }

    /// Percent of `total`, to 1e-4 percent.
    static func percent(_ value: Double, of total: Int) -> Double { (value / Double(total) * 100 * 10_000).rounded() / 10_000 }

    /// The task's prediction: one region per instance that holds a keypoint proposal (one
    /// without gives a keypoint annotator nothing), its keypoints as children; the task's
    /// score is the best instance's.
    static func prediction(_ proposals: [InstanceProposal], config: LabelConfig, width: Int, height: Int, version: String) -> Prediction {
        var regions: [Region] = []
        let proposals = proposals.filter { !$0.keypoints.isEmpty }
        for proposal in proposals {
            let id = "dpcl-\(proposal.instance.id)"
            let score = Rounding.tenThousandths(proposal.instance.score)
            let value: Value
            switch config.instanceKind {
            case .rectangle:
                let box = proposal.instance.bbox
                value = .rectangle(x: percent(box.x, of: width), y: percent(box.y, of: height),
                                   width: percent(box.width, of: width), height: percent(box.height, of: height), label: config.category)
            case .polygon:
                value = .polygon(points: ConvexHull.of(proposal.instance.mask).map { [percent($0.x, of: width), percent($0.y, of: height)] },
                                 label: config.category)
            case .brush:
                value = .brush(rle: proposal.instance.mask.labelStudioBrush(), label: config.category)
            }
            regions.append(Region(id: id, fromName: config.instanceName, toName: config.imageName, type: config.instanceKind.rawValue,
                                  originalWidth: width, originalHeight: height, value: value, score: score, parentID: nil))
            for point in proposal.keypoints {
                regions.append(Region(id: "\(id)-\(point.keypoint)", fromName: config.keypointsName, toName: config.imageName,
                                      type: "keypointlabels", originalWidth: width, originalHeight: height,
                                      value: .keypoint(x: percent(point.x, of: width), y: percent(point.y, of: height), label: point.name),
                                      score: Rounding.tenThousandths(point.score), parentID: id))
            }
        }
        return Prediction(result: regions, score: proposals.map { Rounding.tenThousandths($0.instance.score) }.max() ?? 0, modelVersion: version)
    }

    /// An annotation's instances in pixels: each instance region (rectangle, polygon or brush
    /// of the config's instance tag; a brush that is not the image's size is passed over) with the keypoints whose `parentID` names it, or that lie in its
    /// box when they name none. Keypoints with no region at all make one instance. Ids are
    /// `idBase` + 1, 2, …; nil when nothing is labelled.
    static func annotations(_ result: [ResultItem], config: LabelConfig, width: Int, height: Int, idBase: Int) -> SourceAnnotations? {
        struct Region { let id: String?; var box: [Double]; var segmentation: Segmentation?; var keypoints: [[Double]] }
        let (w, h) = (Double(width), Double(height))
        let unlabelled = [[Double]](repeating: [0, 0, 0], count: config.keypointNames.count)
        var regions: [Region] = []
        for item in result where item.fromName == config.instanceName {
            guard let value = item.value else { continue }
            if let rle = value.rle {
                guard let mask = try? RLE(labelStudioBrush: rle, height: height, width: width) else { continue }
                regions.append(Region(id: item.id, box: mask.bbox.array, segmentation: .compressed(mask), keypoints: unlabelled))
            } else if let points = value.points {
                let pixels = points.filter { $0.count == 2 }.map { ($0[0] / 100 * w, $0[1] / 100 * h) }
                guard let x0 = pixels.map(\.0).min(), let x1 = pixels.map(\.0).max(), let y0 = pixels.map(\.1).min(),
                      let y1 = pixels.map(\.1).max() else { continue }
                regions.append(Region(id: item.id, box: [x0, y0, x1 - x0, y1 - y0], segmentation: .polygons([pixels.flatMap { [$0.0, $0.1] }]),
                                      keypoints: unlabelled))
            } else if let x = value.x, let y = value.y, let bw = value.width, let bh = value.height {
                regions.append(Region(id: item.id, box: [x / 100 * w, y / 100 * h, bw / 100 * w, bh / 100 * h], segmentation: nil,
                                      keypoints: unlabelled))
            }
        }
        var loose = unlabelled
        for item in result where item.fromName == config.keypointsName {
            guard let value = item.value, let x = value.x, let y = value.y, let name = value.keypointlabels?.first,
                  let k = config.keypointNames.firstIndex(of: name) else { continue }
            let point = [x / 100 * w, y / 100 * h, 2]
            let owner = item.parentID.flatMap { parent in regions.firstIndex { $0.id == parent } }
                ?? regions.firstIndex { r in point[0] >= r.box[0] && point[0] <= r.box[0] + r.box[2] && point[1] >= r.box[1] && point[1] <= r.box[1] + r.box[3] }
            if let owner {
                regions[owner].keypoints[k] = point
            } else if regions.isEmpty {
                loose[k] = point
            }
        }
        var instances = regions.enumerated().map { index, region in
            SourceAnnotations.Instance(id: idBase + index + 1, keypoints: region.keypoints,
                                       segmentation: region.segmentation, bbox: region.box)
        }
        if loose.contains(where: { $0[2] > 0 }) { instances.append(SourceAnnotations.Instance(id: idBase + instances.count + 1, keypoints: loose)) }
        guard instances.contains(where: { $0.keypoints.contains { $0[2] > 0 } }) else { return nil }
        return SourceAnnotations(category: config.category, keypoints: config.keypointNames, instances: instances)
    }
}

enum ConvexHull {
    static func of(_ mask: RLE) -> [(x: Double, y: Double)] {
        let (width, height) = (mask.width, mask.height)
        let pixels = mask.rowMajorMask()
        var points: [(x: Double, y: Double)] = []
        for y in 0..<height {
            let row = y * width
            guard let first = (0..<width).first(where: { pixels[row + $0] != 0 }),
                  let last = (0..<width).last(where: { pixels[row + $0] != 0 }) else { continue }
            points += [(Double(first), Double(y)), (Double(first), Double(y + 1)), (Double(last + 1), Double(y)), (Double(last + 1), Double(y + 1))]
        }
        points.sort { ($0.x, $0.y) < ($1.x, $1.y) }
        guard points.count > 2 else { return points }
        func cross(_ o: (x: Double, y: Double), _ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Double {
            (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
        }
        var lower: [(x: Double, y: Double)] = [], upper: [(x: Double, y: Double)] = []
        for p in points {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        for p in points.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }
}
