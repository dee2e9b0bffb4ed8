// The match picture of a pair's prediction: source instances and keypoints on the left,
// predicted target instances and matches on the right.
import Imaging

extension MatchPicture {
    public static func of(_ prediction: PairPrediction, input: PairInput) -> MatchPicture {
        let sourceMasks = input.instances.compactMap { instance in instance.mask.map { InstanceMask(id: instance.id, mask: $0) } }
        let keypoints = input.instances.flatMap { instance in
            instance.keypoints.enumerated().filter { $0.element.isLabelled }.map {
                SourceKeypoint(instance: instance.id, keypoint: $0.offset, x: $0.element.x, y: $0.element.y)
            }
        }
        return MatchPicture(
            source: input.source, target: input.target, sourceInstances: sourceMasks,
            targetInstances: prediction.instances.map { InstanceMask(id: $0.id, mask: $0.mask) },
            sourceKeypoints: keypoints,
            matches: prediction.matches.map {
                Match(sourceInstance: $0.sourceInstance, keypoint: $0.keypoint, x: $0.x, y: $0.y, targetInstance: $0.targetInstance)
            })
    }
}
