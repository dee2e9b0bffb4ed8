// The `annotations` document of a match request (and of `dpcl match --annotations`):
// the category, its keypoint names, and the source instances with keypoints and masks.
import Imaging

public struct SourceAnnotations: Codable, Sendable {
    public struct Instance: Codable, Sendable {
        public var id: Int
        /// `[x, y, v]` per keypoint of the category.
        public var keypoints: [[Double]]
        public var segmentation: Segmentation?
        /// `[x, y, width, height]`, used where there is no mask.
        public var bbox: [Double]?

        public init(id: Int, keypoints: [[Double]], segmentation: Segmentation? = nil, bbox: [Double]? = nil) {
            self.id = id
            self.keypoints = keypoints
            self.segmentation = segmentation
            self.bbox = bbox
        }
    }

    public var category: String
    public var keypoints: [String]?
    public var instances: [Instance]

    public init(category: String, keypoints: [String]?, instances: [Instance]) {
        self.category = category
        self.keypoints = keypoints
        self.instances = instances
    }

    /// The document of instances already read (their masks as compressed RLE).
    public init(category: String, keypoints: [String]?, sourceInstances: [SourceInstance]) {
        self.init(category: category, keypoints: keypoints, instances: sourceInstances.map { instance in
            Instance(id: instance.id, keypoints: instance.keypoints.map { [$0.x, $0.y, Double($0.visibility)] },
                     segmentation: instance.mask.map(Segmentation.compressed), bbox: instance.box?.array)
        })
    }

    /// The instances at a source image of `width` × `height`; masks from `sourceMasks` (an
    /// instance-id PNG) take the place of the instances' own segmentation.
    public func sourceInstances(width: Int, height: Int, sourceMasks: [InstanceMask]? = nil) throws(MatchInputError) -> [SourceInstance] {
        let ids = instances.map(\.id)
        var pngMasks: [Int: RLE] = [:]
        for mask in sourceMasks ?? [] {
            guard ids.contains(mask.id) else { throw .unknownMaskID(id: mask.id, known: ids) }
            guard mask.mask.width == width, mask.mask.height == height else {
                throw .maskSize(instance: mask.id, expected: MaskSize(height: height, width: width), found: mask.mask.size)
            }
            pngMasks[mask.id] = mask.mask
        }
        var result: [SourceInstance] = []
        for instance in instances {
            if let names = keypoints, names.count != instance.keypoints.count {
                throw .keypointCount(instance: instance.id, expected: names.count, found: instance.keypoints.count)
            }
            var points: [SourceKeypoint] = []
            for (index, triple) in instance.keypoints.enumerated() {
                guard triple.count == 3 else {
                    throw .badKeypoint(instance: instance.id, keypoint: index, problem: "expected [x, y, v], found \(triple.count) numbers")
                }
                guard triple.allSatisfy(\.isFinite), triple[2] == triple[2].rounded(), triple[2] >= 0 else {
                    throw .badKeypoint(instance: instance.id, keypoint: index, problem: "x and y must be finite and v a non-negative integer")
                }
                points.append(SourceKeypoint(x: triple[0], y: triple[1], visibility: Int(triple[2])))
            }
            var mask = pngMasks[instance.id]
            if mask == nil, let segmentation = instance.segmentation {
                do {
                    mask = try segmentation.rle(height: height, width: width)
                } catch .sizeMismatch(let expected, let found) {
                    throw .maskSize(instance: instance.id, expected: expected, found: found)
                } catch {
                    throw .mask(instance: instance.id, problem: error.description)
                }
            }
            var box: BoundingBox?
            if let bbox = instance.bbox {
                guard bbox.count == 4, bbox.allSatisfy(\.isFinite), bbox[2] >= 0, bbox[3] >= 0 else {
                    throw .box(instance: instance.id, problem: "must be [x, y, width, height], finite, width and height not negative")
                }
                box = BoundingBox(x: bbox[0], y: bbox[1], width: bbox[2], height: bbox[3])
            }
            result.append(SourceInstance(id: instance.id, keypoints: points, mask: mask, box: box))
        }
        return result
    }
}
