// What the matcher is given for one pair: the two decoded images and the source instances
// of the category (keypoints, optional masks and boxes). The target's annotations never
// enter: the matcher sees the target's pixels only.
import Imaging

/// One keypoint of a source instance; `visibility` 0 means not labelled.
public struct SourceKeypoint: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public var visibility: Int

    public init(x: Double, y: Double, visibility: Int) {
        self.x = x
        self.y = y
        self.visibility = visibility
    }

    public var isLabelled: Bool { visibility > 0 }
}

public struct SourceInstance: Sendable {
    public var id: Int
    /// One entry per keypoint of the category, in the category's order.
    public var keypoints: [SourceKeypoint]
    /// The instance mask at the source image's size, when known.
    public var mask: RLE?
    /// The instance box, used where there is no mask.
    public var box: BoundingBox?

    public init(id: Int, keypoints: [SourceKeypoint], mask: RLE? = nil, box: BoundingBox? = nil) {
        self.id = id
        self.keypoints = keypoints
        self.mask = mask
        self.box = box
    }

    /// The mask's box, else the given box, else the box of the labelled keypoints.
    var extent: BoundingBox {
        if let mask, mask.area > 0 { return mask.bbox }
        if let box, box.width > 0, box.height > 0 { return box }
        let labelled = keypoints.filter(\.isLabelled)
        let xs = labelled.map(\.x), ys = labelled.map(\.y)
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else {
            return BoundingBox(x: 0, y: 0, width: 0, height: 0)
        }
        return BoundingBox(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
}

public struct PairInput: Sendable {
    public var source: RGBImage
    public var target: RGBImage
    public var instances: [SourceInstance]

    public init(source: RGBImage, target: RGBImage, instances: [SourceInstance]) {
        self.source = source
        self.target = target
        self.instances = instances
    }

    /// Checks what the pipeline relies on and sets aside what it cannot use. A problem with
    /// the whole request is thrown in the user's terms; a labelled keypoint outside the
    /// source image (nothing there to sample), an empty mask and a box of zero area are left
    /// out of the match and reported as warnings. Keypoints on the image's edge
    /// (x = width or y = height) are inside: coordinates run over the pixels' area.
    public func prepared() throws(MatchInputError) -> PreparedPair {
        guard !instances.isEmpty else { throw .noInstances }
        var seen = Set<Int>()
        let checked = try SourceInstance.checked(instances, width: source.width, height: source.height, seen: &seen)
        guard checked.labelled > 0 else {
            throw .noLabelledKeypoint(outside: checked.warnings.count { $0.code == .keypointOutsideImage })
        }
        return PreparedPair(input: PairInput(source: source, target: target, instances: checked.kept), warnings: checked.warnings)
    }
}

extension SourceInstance {
    /// The checks of `PairInput.prepared()` on the instances of one image of `width` ×
    /// `height`: ids unique within `seen` (which every checked image adds to), masks of the
    /// image's size; what cannot be used is left out with a warning. `labelled` counts the
    /// labelled keypoints kept.
    static func checked(_ instances: [SourceInstance], width: Int, height: Int, seen: inout Set<Int>)
        throws(MatchInputError) -> (kept: [SourceInstance], warnings: [MatchWarning], labelled: Int) {
        var labelled = 0
        var warnings: [MatchWarning] = []
        var kept = instances
        for (position, instance) in instances.enumerated() {
            guard seen.insert(instance.id).inserted else { throw .duplicateInstance(id: instance.id) }
            for (index, point) in instance.keypoints.enumerated() where point.isLabelled {
                guard (0...Double(width)).contains(point.x), (0...Double(height)).contains(point.y) else {
                    kept[position].keypoints[index].visibility = 0
                    warnings.append(.keypointOutsideImage(instance: instance.id, keypoint: index, x: point.x, y: point.y,
                                                          width: width, height: height))
                    continue
                }
                labelled += 1
            }
            if let mask = instance.mask {
                guard mask.width == width, mask.height == height else {
                    throw .maskSize(instance: instance.id, expected: MaskSize(height: height, width: width),
                                    found: mask.size)
                }
                if mask.area == 0 {
                    kept[position].mask = nil
                    warnings.append(.emptyMask(instance: instance.id))
                }
            }
            if let box = instance.box, box.width * box.height == 0 {
                kept[position].box = nil
                // Only worth saying when nothing else gives the instance's extent.
                if kept[position].mask == nil { warnings.append(.emptyBox(instance: instance.id)) }
            }
        }
        return (kept, warnings, labelled)
    }
}

/// A pair as the pipeline runs it: what it cannot use left out, and said in `warnings`.
public struct PreparedPair: Sendable {
    public var input: PairInput
    public var warnings: [MatchWarning]
}

/// Something in a pair's annotations that the matcher left out while matching the rest.
public struct MatchWarning: Sendable, Equatable {
    public enum Code: String, Sendable, Encodable {
        /// A labelled keypoint lies outside the source image: it is not queried.
        case keypointOutsideImage = "keypoint-outside-image"
        /// An instance's mask covers no pixel: its box (else its keypoints) stands for it.
        case emptyMask = "empty-mask"
        /// An instance without a mask has a box of zero area: its keypoints' box stands for it.
        case emptyBox = "empty-box"
    }

    public var code: Code
    public var sourceInstance: Int
    public var keypoint: Int?
    public var message: String

    static func keypointOutsideImage(instance: Int, keypoint: Int, x: Double, y: Double, width: Int, height: Int) -> MatchWarning {
        MatchWarning(code: .keypointOutsideImage, sourceInstance: instance, keypoint: keypoint,
                     message: "keypoint \(keypoint) of source instance \(instance) at (\(x), \(y)) is outside the \(width)x\(height) source image: not matched")
    }

    static func emptyMask(instance: Int) -> MatchWarning {
        MatchWarning(code: .emptyMask, sourceInstance: instance, keypoint: nil,
                     message: "the mask of source instance \(instance) is empty: its box, else its keypoints, give its extent")
    }

    static func emptyBox(instance: Int) -> MatchWarning {
        MatchWarning(code: .emptyBox, sourceInstance: instance, keypoint: nil,
                     message: "the bbox of source instance \(instance) has zero area and there is no mask: its keypoints give its extent")
    }
}

extension MatchWarning: Encodable {
    enum CodingKeys: String, CodingKey { case code, sourceInstance = "source_instance", keypoint, message }
}

/// Per-request overrides of the model config's matcher settings.
public struct MatchOptions: Sendable, Equatable, Decodable {
    public var threshold: Double?
    public var nmsRadius: Double?
    public var maxMatches: Int?
    /// Long side of the backbone input.
    public var size: Int?
    public var layer: Int?
    public var closedLoop: Bool?

    public init(threshold: Double? = nil, nmsRadius: Double? = nil, maxMatches: Int? = nil, size: Int? = nil,
                layer: Int? = nil, closedLoop: Bool? = nil) {
        self.threshold = threshold
        self.nmsRadius = nmsRadius
        self.maxMatches = maxMatches
        self.size = size
        self.layer = layer
        self.closedLoop = closedLoop
    }

    enum CodingKeys: String, CodingKey {
        case threshold, nmsRadius = "nms_radius", maxMatches = "max_matches", size, layer, closedLoop = "closed_loop"
    }

    /// `config` with these overrides, each checked against its allowed range.
    public func applied(to config: MatcherConfig, patchSize: Int, depth: Int, maxSide: Int) throws(MatchInputError) -> MatcherConfig {
        var config = config
        if let threshold {
            guard MatcherConfig.fractions.contains(threshold) else {
                throw .option(name: "threshold", problem: "must be in \(MatcherConfig.fractions)")
            }
            config.peaks.threshold = threshold
        }
        if let nmsRadius {
            guard MatcherConfig.fractions.contains(nmsRadius) else {
                throw .option(name: "nms_radius", problem: "must be in \(MatcherConfig.fractions) (a fraction of the target's long side)")
            }
            config.peaks.nmsRadius = nmsRadius
        }
        if let maxMatches {
            guard MatcherConfig.matchesPerKeypoint.contains(maxMatches) else {
                throw .option(name: "max_matches", problem: "must be in \(MatcherConfig.matchesPerKeypoint)")
            }
            config.peaks.maxMatches = maxMatches
        }
        if let size {
            guard size % patchSize == 0, (patchSize...maxSide).contains(size) else {
                throw .option(name: "size", problem: "must be a multiple of \(patchSize) in \(patchSize)...\(maxSide)")
            }
            config.longSide = size
        }
        if let layer {
            guard (0..<depth).contains(layer) else { throw .option(name: "layer", problem: "must be in 0...\(depth - 1)") }
            config.layer = layer
        }
        if let closedLoop { config.closedLoop.enabled = closedLoop }
        return config
    }
}

public enum MatchInputError: Error, Sendable, Equatable, CustomStringConvertible {
    case noInstances
    case noReferences
    case duplicateInstance(id: Int)
    case maskSize(instance: Int, expected: MaskSize, found: MaskSize)
    /// `outside`: how many labelled keypoints were left out for lying outside the image.
    case noLabelledKeypoint(outside: Int)
    case keypointCount(instance: Int, expected: Int, found: Int)
    case badKeypoint(instance: Int, keypoint: Int, problem: String)
    case unknownMaskID(id: Int, known: [Int])
    case mask(instance: Int, problem: String)
    case box(instance: Int, problem: String)
    case option(name: String, problem: String)

    /// The error code of the JSON answer and of a split run's report.
    public var code: String {
        switch self {
        case .noInstances: "no-instances"
        case .noReferences: "no-references"
        case .noLabelledKeypoint: "no-keypoints"
        case .duplicateInstance: "duplicate-instance"
        case .maskSize: "mask-size"
        case .option: "invalid-options"
        case .keypointCount, .badKeypoint, .unknownMaskID, .mask, .box: "invalid-annotations"
        }
    }

    public var description: String {
        switch self {
        case .noInstances:
            "annotations list no source instance"
        case .noReferences:
            "the references hold no image"
        case .duplicateInstance(let id):
            "source instance id \(id) appears twice"
        case .maskSize(let instance, let expected, let found):
            "mask of source instance \(instance) is \(found) but the source image is \(expected) ([height, width])"
        case .noLabelledKeypoint(let outside):
            outside == 0 ? "no source instance has a labelled keypoint (v > 0)"
                : "no source instance has a labelled keypoint (v > 0) inside the source image (\(outside) outside it)"
        case .keypointCount(let instance, let expected, let found):
            "source instance \(instance) has \(found) keypoints but the category lists \(expected)"
        case .badKeypoint(let instance, let keypoint, let problem):
            "keypoint \(keypoint) of source instance \(instance): \(problem)"
        case .unknownMaskID(let id, let known):
            "source_masks holds id \(id), which annotations do not list (instances: \(known.map(String.init).joined(separator: ", ")))"
        case .box(let instance, let problem):
            "bbox of source instance \(instance): \(problem)"
        case .mask(let instance, let problem):
            "segmentation of source instance \(instance): \(problem)"
        case .option(let name, let problem):
            "option \(name) \(problem)"
        }
    }
}
