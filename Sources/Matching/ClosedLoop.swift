// The paper's closed-loop check: a match's target feature, matched back to the source, must
// land near the keypoint it came from. As a filter it spares each group's strongest match,
// as the peaks spare the strongest cell, so no keypoint is left without a match.

struct ClosedLoop {
    let source: FeatureMap
    let target: FeatureMap
    /// The allowed return distance in source pixels.
    let limit: Double

    init(source: FeatureMap, target: FeatureMap, radius: Double) {
        self.source = source
        self.target = target
        limit = radius * Double(max(source.geometry.imageWidth, source.geometry.imageHeight))
    }

    /// Whether the target point's best source patch lies within the limit of `keypoint`.
    func returns(from point: (x: Double, y: Double), to keypoint: SourceKeypoint) -> Bool {
        let (s, t, c) = (source.geometry, target.geometry, source.channels)
        let vector = target.sample(gridX: point.x * t.sx - 0.5, gridY: point.y * t.sy - 0.5)
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
