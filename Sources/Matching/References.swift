// A reference set: several labelled images of one category (each with its instances, in
// the `annotations` shape of a match request) that a target is matched from at once.
import Imaging

public struct ReferenceImage: Sendable {
    public var image: RGBImage
    public var instances: [SourceInstance]

    public init(image: RGBImage, instances: [SourceInstance]) {
        self.image = image
        self.instances = instances
    }
}

public struct ReferenceSet: Sendable {
    public var category: String
    /// The category's keypoint names, in order: the names the proposals carry.
    public var keypoints: [String]
    public var images: [ReferenceImage]

    public init(category: String, keypoints: [String], images: [ReferenceImage]) {
        self.category = category
        self.keypoints = keypoints
        self.images = images
    }

    /// Each image checked as a pair's source is (`PairInput.prepared()`), instance ids unique
    /// over the whole set (a match names its reference instance by id alone). An image
    /// without a labelled keypoint still teaches the foreground what the instances look like;
    /// the set as a whole needs one.
    public func prepared() throws(MatchInputError) -> PreparedReferences {
        guard !images.isEmpty else { throw .noReferences }
        var seen = Set<Int>()
        var kept: [ReferenceImage] = []
        var warnings: [MatchWarning] = []
        var labelled = 0
        for reference in images {
            guard !reference.instances.isEmpty else { throw .noInstances }
            let checked = try SourceInstance.checked(reference.instances, width: reference.image.width,
                                                     height: reference.image.height, seen: &seen)
            for instance in checked.kept where instance.keypoints.count != keypoints.count {
                throw .keypointCount(instance: instance.id, expected: keypoints.count, found: instance.keypoints.count)
            }
            kept.append(ReferenceImage(image: reference.image, instances: checked.kept))
            warnings += checked.warnings
            labelled += checked.labelled
        }
        guard labelled > 0 else { throw .noLabelledKeypoint(outside: warnings.count { $0.code == .keypointOutsideImage }) }
        return PreparedReferences(set: ReferenceSet(category: category, keypoints: keypoints, images: kept), warnings: warnings)
    }
}

/// A reference set as the pipeline runs it: what it cannot use left out, and said in `warnings`.
public struct PreparedReferences: Sendable {
    public var set: ReferenceSet
    public var warnings: [MatchWarning]
}
