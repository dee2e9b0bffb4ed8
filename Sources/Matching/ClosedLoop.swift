// The paper's closed-loop check as a filter: a match's target feature, matched back to the
// source, must land near the keypoint it came from. A group's strongest match always stays,
// as the strongest peak does, so no keypoint is left without a match.

enum ClosedLoop {
    static func filter(_ matches: [PredictedMatch], instances: [SourceInstance], source: FeatureMap, target: FeatureMap,
                       radius: Double) -> [PredictedMatch] {
        let s = source.geometry, t = target.geometry
        let limit = radius * Double(max(s.imageWidth, s.imageHeight))
        let c = source.channels
        var strongest: [String: Double] = [:]
        for match in matches {
            let key = "\(match.sourceInstance)/\(match.keypoint)"
            strongest[key] = max(strongest[key] ?? -.infinity, match.score)
        }
        return matches.filter { match in
            if match.score >= strongest["\(match.sourceInstance)/\(match.keypoint)"]! { return true }
            guard let instance = instances.first(where: { $0.id == match.sourceInstance }) else { return true }
            let keypoint = instance.keypoints[match.keypoint]
            let vector = target.sample(gridX: match.x * t.sx - 0.5, gridY: match.y * t.sy - 0.5)
            var bestPatch = 0, bestValue = -Float.infinity
            source.values.withUnsafeBufferPointer { values in
                for patch in 0..<s.patches {
                    var dot: Float = 0
                    for j in 0..<c { dot += values[patch * c + j] * vector[j] }
                    if dot > bestValue { bestValue = dot; bestPatch = patch }
                }
            }
            let x = (Double(bestPatch % s.gridWidth) + 0.5) / s.sx, y = (Double(bestPatch / s.gridWidth) + 0.5) / s.sy
            let (dx, dy) = (x - keypoint.x, y - keypoint.y)
            return (dx * dx + dy * dy).squareRoot() <= limit
        }
    }
}
