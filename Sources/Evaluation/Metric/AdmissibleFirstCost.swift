// The cost of one prediction-truth pairing under FORMATS.md's rule: an admissible pairing
// (distance ≤ α·d) counts −1 and its distance, any other counts nothing. Compared
// lexicographically, a least-cost assignment has the most admissible pairs and, among
// those, the least total distance. The count is an integer, so it is exact.

public struct AdmissibleFirstCost: AssignmentCost, Sendable {
    /// Minus the number of admissible pairings.
    public var negatedCount: Int
    /// Total distance of the admissible pairings.
    public var distance: Double

    public init(negatedCount: Int, distance: Double) {
        self.negatedCount = negatedCount
        self.distance = distance
    }

    /// The cost of pairing a prediction with a truth at `distance` under `threshold` (α·d).
    @inline(__always) public init(distance: Double, threshold: Double) {
        if distance <= threshold {
            self.init(negatedCount: -1, distance: distance)
        } else {
            self.init(negatedCount: 0, distance: 0)
        }
    }

    public static let zero = AdmissibleFirstCost(negatedCount: 0, distance: 0)
    public static let unbounded = AdmissibleFirstCost(negatedCount: Int.max / 4, distance: .infinity)

    @inline(__always) public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.negatedCount != rhs.negatedCount ? lhs.negatedCount < rhs.negatedCount : lhs.distance < rhs.distance
    }

    @inline(__always) public static func + (lhs: Self, rhs: Self) -> Self {
        Self(negatedCount: lhs.negatedCount &+ rhs.negatedCount, distance: lhs.distance + rhs.distance)
    }

    @inline(__always) public static func - (lhs: Self, rhs: Self) -> Self {
        Self(negatedCount: lhs.negatedCount &- rhs.negatedCount, distance: lhs.distance - rhs.distance)
    }
}
