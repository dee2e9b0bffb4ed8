// The annotator's shape of an answer: per predicted target instance (box, mask, score), at
// most one location per keypoint name (the best match of that keypoint landing on that
// instance), instances ordered by score; and back to misc-predictions/v1 matches.
import Imaging

public struct KeypointProposal: Sendable, Equatable {
    /// The keypoint's index in the category's list, and its name.
    public var keypoint: Int
    public var name: String
    public var x: Double
    public var y: Double
    public var score: Double
}

public struct InstanceProposal: Sendable, Equatable {
    public var instance: PredictedInstance
    /// In the category's keypoint order; keypoints without a match on the instance are absent.
    public var keypoints: [KeypointProposal]
}

public enum Proposals {
    /// Instances by descending score (ties by id); every match counts for the instance it
    /// is labelled with, and the highest-scoring one per keypoint is kept.
    public static func of(_ prediction: PairPrediction, keypoints names: [String]) -> [InstanceProposal] {
        var best: [Int: [Int: PredictedMatch]] = [:]
        for match in prediction.matches {
            guard let instance = match.targetInstance else { continue }
            if let kept = best[instance]?[match.keypoint], kept.score >= match.score { continue }
            best[instance, default: [:]][match.keypoint] = match
        }
        let ordered = prediction.instances.sorted { ($0.score, -$0.id) > ($1.score, -$1.id) }
        return ordered.map { instance in
            let chosen = (best[instance.id] ?? [:]).values.sorted { $0.keypoint < $1.keypoint }
            return InstanceProposal(instance: instance, keypoints: chosen.map {
                KeypointProposal(keypoint: $0.keypoint, name: $0.keypoint < names.count ? names[$0.keypoint] : String($0.keypoint),
                                 x: $0.x, y: $0.y, score: $0.score)
            })
        }
    }

    /// The proposals as misc-predictions/v1 matches of one source image: each proposal of
    /// keypoint k becomes a match of every source instance that labels k, so the project's
    /// metric scores the proposals against the target's truth as it scores a pair.
    public static func matches(_ proposals: [InstanceProposal], sourceInstances: [SourceInstance]) -> [PredictedMatch] {
        var matches: [PredictedMatch] = []
        for source in sourceInstances {
            for proposal in proposals {
                for point in proposal.keypoints where point.keypoint < source.keypoints.count && source.keypoints[point.keypoint].isLabelled {
                    matches.append(PredictedMatch(sourceInstance: source.id, keypoint: point.keypoint, x: point.x, y: point.y,
                                                  score: point.score, targetInstance: proposal.instance.id))
                }
            }
        }
        return matches
    }
}

extension KeypointProposal: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: CodingKeys.self)
        try object.encode(keypoint, forKey: .keypoint)
        try object.encode(name, forKey: .name)
        try object.encode(Rounding.hundredths(x), forKey: .x)
        try object.encode(Rounding.hundredths(y), forKey: .y)
        try object.encode(Rounding.tenThousandths(score), forKey: .score)
    }

    enum CodingKeys: String, CodingKey { case keypoint, name, x, y, score }
}

extension InstanceProposal: Encodable {
    enum CodingKeys: String, CodingKey { case id, score, bbox, segmentation, keypoints }

    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: CodingKeys.self)
        try object.encode(instance.id, forKey: .id)
        try object.encode(Rounding.tenThousandths(instance.score), forKey: .score)
        try object.encode(instance.bbox.array, forKey: .bbox)
        try object.encode(Segmentation.compressed(instance.mask), forKey: .segmentation)
        try object.encode(keypoints, forKey: .keypoints)
    }
}

/// The answer to a proposal, as `POST /v1/propose` and `dpcl propose` give it: the
/// predicted instances with their proposals, and `matches` (the proposals as matches, or
/// every match of the pipeline) so that `{"pair", "matches", "instances"}` is a
/// misc-predictions/v1 entry.
public struct ProposalResult: Encodable, Sendable {
    public struct Reference: Encodable, Sendable {
        public let width: Int, height: Int
        public let instances: [Int]
    }

    /// The model config's name.
    public let model: String
    public let category: String
    public let keypoints: [String]
    public let instances: [InstanceProposal]
    public let matches: [PredictedMatch]
    public let warnings: [MatchWarning]
    public let references: [Reference]
    /// The reference the foreground learnt from, when only one did (`references.foreground` best).
    public let foregroundReference: Int?

    enum CodingKeys: String, CodingKey {
        case model, category, keypoints, instances, matches, warnings, references, foregroundReference = "foreground_reference"
    }

    public init(model: String, references: PreparedReferences, report: ReferenceReport, everyMatch: Bool) {
        let set = references.set
        self.model = model
        category = set.category
        keypoints = set.keypoints
        instances = Proposals.of(report.prediction, keypoints: set.keypoints)
        matches = everyMatch ? report.prediction.matches
            : Proposals.matches(instances, sourceInstances: set.images.flatMap(\.instances))
        warnings = report.warnings
        self.references = set.images.map { Reference(width: $0.image.width, height: $0.image.height, instances: $0.instances.map(\.id)) }
        foregroundReference = report.foregroundReference
    }

    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: CodingKeys.self)
        try object.encode(model, forKey: .model)
        try object.encode(category, forKey: .category)
        try object.encode(keypoints, forKey: .keypoints)
        try object.encode(instances, forKey: .instances)
        try object.encode(matches, forKey: .matches)
        try object.encode(warnings, forKey: .warnings)
        try object.encode(references, forKey: .references)
        // Explicit null: the key is always there.
        try object.encode(foregroundReference, forKey: .foregroundReference)
    }
}
