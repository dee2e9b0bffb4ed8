// The Hungarian solver against brute force (every assignment enumerated) on random small
// matrices up to 5×5: integer coordinates on a small grid give many ties, and thresholds
// taken from the distances themselves put points exactly on α·d.
import TestSupport
import Testing
@testable import Evaluation

enum BruteForce {
    /// Every injective map of the smaller side into the larger, as (row, column) lists.
    static func assignments(rows: Int, columns: Int) -> [[(Int, Int)]] {
        var result: [[(Int, Int)]] = []
        let transpose = rows > columns
        let small = min(rows, columns), large = max(rows, columns)
        var chosen: [Int] = []
        var used = [Bool](repeating: false, count: large)
        func extend() {
            if chosen.count == small {
                result.append(chosen.enumerated().map { transpose ? ($1, $0) : ($0, $1) })
                return
            }
            for candidate in 0..<large where !used[candidate] {
                used[candidate] = true
                chosen.append(candidate)
                extend()
                chosen.removeLast()
                used[candidate] = false
            }
        }
        extend()
        return result
    }

    /// The most admissible pairs, and the least total distance of those among such assignments.
    static func best(distances: [Double], rows: Int, columns: Int, threshold: Double) -> (count: Int, distance: Double) {
        var best = (count: 0, distance: 0.0)
        for assignment in assignments(rows: rows, columns: columns) {
            var count = 0, distance = 0.0
            for (row, column) in assignment where distances[row * columns + column] <= threshold {
                count += 1
                distance += distances[row * columns + column]
            }
            if count > best.count || (count == best.count && distance < best.distance) { best = (count, distance) }
        }
        return best
    }
}

@Suite struct HungarianPropertyTests {
    @Test func admissibleFirstAssignmentMatchesBruteForce() {
        var random = SplitMix64(seed: 2024)
        var solver = HungarianSolver<AdmissibleFirstCost>()
        var onThreshold = 0
        for trial in 0..<3000 {
            let rows = Int.random(in: 1...5, using: &random)
            let columns = Int.random(in: 1...5, using: &random)
            let grid = trial % 3 == 0 ? 3 : 12
            let predictions = (0..<rows).map { _ in (Double(Int.random(in: 0...grid, using: &random)), Double(Int.random(in: 0...grid, using: &random))) }
            let truths = (0..<columns).map { _ in (Double(Int.random(in: 0...grid, using: &random)), Double(Int.random(in: 0...grid, using: &random))) }
            var distances: [Double] = []
            for p in predictions {
                for t in truths {
                    let dx = p.0 - t.0, dy = p.1 - t.1
                    distances.append((dx * dx + dy * dy).squareRoot())
                }
            }
            // Thresholds: one of the distances (a point exactly on it), and random ones.
            let thresholds = [distances.randomElement(using: &random)!, Double.random(in: 0...Double(grid), using: &random), 0, 1e9]
            for threshold in thresholds {
                let expected = BruteForce.best(distances: distances, rows: rows, columns: columns, threshold: threshold)
                let fast = GroupScorer.truePositives(&solver, distances: distances, rows: rows, columns: columns, threshold: threshold)
                let full = GroupScorer.solve(&solver, distances: distances, rows: rows, columns: columns, threshold: threshold)
                #expect(fast == expected.count, "trial \(trial): \(rows)x\(columns) at \(threshold): \(distances)")
                #expect(full == expected.count, "trial \(trial): \(rows)x\(columns) at \(threshold): \(distances)")
                var total = 0.0
                for row in 0..<rows {
                    let column = solver.columnOfRow[row]
                    if column >= 0, distances[row * columns + column] <= threshold { total += distances[row * columns + column] }
                }
                #expect(abs(total - expected.distance) < 1e-9, "trial \(trial): least distance \(expected.distance), solver \(total)")
                if distances.contains(threshold) { onThreshold += 1 }
            }
        }
        #expect(onThreshold >= 3000, "points exactly on the threshold must be exercised")
    }

    @Test func aPlainMinimumDistanceAssignmentIsNotTheRule() {
        // Threshold 10. Least total distance pairs (0,0) and (1,1): 1 + 11 = 12, one pair
        // admissible. The rule pairs (0,1) and (1,0): 9 + 9.5, both admissible.
        let distances: [Double] = [1, 9, 9.5, 11]  // rows: predictions, columns: truths
        var plain = HungarianSolver<Double>()
        plain.solve(rows: 2, columns: 2) { distances[$0 * 2 + $1] }
        #expect(plain.columnOfRow == [0, 1])
        var solver = HungarianSolver<AdmissibleFirstCost>()
        #expect(GroupScorer.solve(&solver, distances: distances, rows: 2, columns: 2, threshold: 10) == 2)
        #expect(solver.columnOfRow == [1, 0])
        #expect(GroupScorer.truePositives(&solver, distances: distances, rows: 2, columns: 2, threshold: 10) == 2)
    }

    @Test func iouAssignmentMatchesBruteForce() {
        var random = SplitMix64(seed: 7)
        var solver = HungarianSolver<Double>()
        for trial in 0..<2000 {
            let rows = Int.random(in: 1...5, using: &random)
            let columns = Int.random(in: 1...5, using: &random)
            // Quarter steps: many equal IoUs.
            let iou = (0..<(rows * columns)).map { _ in Double(Int.random(in: 0...4, using: &random)) / 4 }
            solver.solve(rows: rows, columns: columns) { -iou[$0 * columns + $1] }
            var total = 0.0
            var columnsUsed = Set<Int>()
            for row in 0..<rows where solver.columnOfRow[row] >= 0 {
                total += iou[row * columns + solver.columnOfRow[row]]
                #expect(columnsUsed.insert(solver.columnOfRow[row]).inserted, "one-to-one")
            }
            #expect(columnsUsed.count == min(rows, columns))
            let best = BruteForce.assignments(rows: rows, columns: columns)
                .map { $0.reduce(0.0) { $0 + iou[$1.0 * columns + $1.1] } }.max()!
            #expect(abs(total - best) < 1e-12, "trial \(trial): \(rows)x\(columns) \(iou)")
        }
    }

    @Test func emptyAndRectangularShapes() {
        var solver = HungarianSolver<Double>()
        solver.solve(rows: 0, columns: 3) { _, _ in 0 }
        #expect(solver.columnOfRow.isEmpty)
        solver.solve(rows: 3, columns: 1) { row, _ in Double(row) }
        #expect(solver.columnOfRow == [0, -1, -1])
        solver.solve(rows: 1, columns: 3) { _, column in Double(3 - column) }
        #expect(solver.columnOfRow == [2])
    }
}
