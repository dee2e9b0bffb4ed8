// Candidate matches of one heatmap: cells above the threshold that are the maximum of their
// (2R+1)² window, kept greedily by heat when farther than R (Chebyshev) from every kept one;
// the strongest cell is always kept.

struct Peak: Sendable, Equatable {
    let row: Int, column: Int
    let heat: Float

    /// The patch under the peak's cell on a grid upsampled by `factor`.
    func patch(factor: Int, gridWidth: Int) -> Int { (row / factor) * gridWidth + column / factor }
}

enum Peaks {
    static func find(_ map: Heatmap, threshold: Float, radius: Int, limit: Int) -> [Peak] {
        var candidates: [Peak] = []
        map.heat.withUnsafeBufferPointer { heat in
            for i in 0..<map.rows {
                for j in 0..<map.columns {
                    let value = heat[i * map.columns + j]
                    guard value >= threshold else { continue }
                    if isWindowMaximum(heat, rows: map.rows, columns: map.columns, i: i, j: j, radius: radius) {
                        candidates.append(Peak(row: i, column: j, heat: value))
                    }
                }
            }
        }
        // Highest heat first; ties by position, so results do not depend on the sort.
        candidates.sort { ($0.heat, -$0.row, -$0.column) > ($1.heat, -$1.row, -$1.column) }
        var kept: [Peak] = []
        for candidate in candidates where kept.count < limit {
            if kept.allSatisfy({ chebyshev($0, candidate) > radius }) { kept.append(candidate) }
        }
        if kept.isEmpty {
            let best = map.argmax
            kept.append(Peak(row: best / map.columns, column: best % map.columns, heat: map.heat[best]))
        }
        return kept
    }

    static func chebyshev(_ a: Peak, _ b: Peak) -> Int {
        max(abs(a.row - b.row), abs(a.column - b.column))
    }

    private static func isWindowMaximum(_ heat: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
                                        i: Int, j: Int, radius: Int) -> Bool {
        let value = heat[i * columns + j]
        for r in max(0, i - radius)...min(rows - 1, i + radius) {
            for c in max(0, j - radius)...min(columns - 1, j + radius) where heat[r * columns + c] > value {
                return false
            }
        }
        return true
    }
}

enum Refinement {
    /// The soft-argmax of the upsampled cost over a window around the peak, as a point in
    /// target pixels (clipped to the image).
    static func locate(_ peak: Peak, in map: Heatmap, window: Int, temperature: Float, factor: Int,
                       geometry: InputGeometry) -> (x: Double, y: Double) {
        let half = window / 2
        let rows = max(0, peak.row - half)...min(map.rows - 1, peak.row + half)
        let columns = max(0, peak.column - half)...min(map.columns - 1, peak.column + half)
        let centre = map.cost[peak.row * map.columns + peak.column]
        var total: Double = 0, sumRow: Double = 0, sumColumn: Double = 0
        for r in rows {
            for c in columns {
                // Relative to the peak's cost, so the exponentials stay in range.
                let weight = Double(((map.cost[r * map.columns + c] - centre) / temperature).exp())
                total += weight
                sumRow += weight * Double(r)
                sumColumn += weight * Double(c)
            }
        }
        let fi = sumRow / total, fj = sumColumn / total
        let x = (fj + 0.5) / (Double(factor) * geometry.sx)
        let y = (fi + 0.5) / (Double(factor) * geometry.sy)
        return (min(max(x, 0), Double(geometry.imageWidth)), min(max(y, 0), Double(geometry.imageHeight)))
    }
}
