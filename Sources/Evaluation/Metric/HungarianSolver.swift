// Kuhn-Munkres (Hungarian) assignment in O(n²·m) with potentials, for rectangular cost
// matrices, generic over the cost so that one solver serves both uses of the metric:
// "most admissible pairs first, then least distance" (a lexicographic cost) and mIoU
// (the negated IoU). Scratch arrays are kept between calls: no allocation per solve.

/// A totally ordered additive group the solver can minimise over.
public protocol AssignmentCost: Comparable {
    static var zero: Self { get }
    /// Larger than every reduced cost the solver meets.
    static var unbounded: Self { get }
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
}

extension Double: AssignmentCost {
    public static var unbounded: Double { .infinity }
}

public struct HungarianSolver<Cost: AssignmentCost> {
    private var rowPotential: [Cost] = []
    private var columnPotential: [Cost] = []
    private var rowOfColumn: [Int] = []
    private var way: [Int] = []
    private var slack: [Cost] = []
    private var used: [Bool] = []
    /// After `solve`: the column each row is assigned to, or -1 (when rows > columns).
    public private(set) var columnOfRow: [Int] = []

    public init() {}

    /// Finds a one-to-one assignment of min(rows, columns) pairs of least total cost.
    public mutating func solve(rows: Int, columns: Int, cost: (_ row: Int, _ column: Int) -> Cost) {
        columnOfRow.removeAll(keepingCapacity: true)
        columnOfRow.append(contentsOf: repeatElement(-1, count: rows))
        guard rows > 0 && columns > 0 else { return }
        if rows <= columns {
            run(n: rows, m: columns, cost: cost)
            for column in 1...columns where rowOfColumn[column] > 0 {
                columnOfRow[rowOfColumn[column] - 1] = column - 1
            }
        } else {
            // The algorithm wants n ≤ m: solve the transpose.
            run(n: columns, m: rows) { cost($1, $0) }
            for row in 1...rows where rowOfColumn[row] > 0 {
                columnOfRow[row - 1] = rowOfColumn[row] - 1
            }
        }
    }

    /// The classic 1-based formulation: rows 1...n are added one at a time and each is
    /// placed by a shortest augmenting path over reduced costs (row 0 / column 0 are sentinels).
    private mutating func run(n: Int, m: Int, cost: (Int, Int) -> Cost) {
        reset(&rowPotential, to: .zero, count: n + 1)
        reset(&columnPotential, to: .zero, count: m + 1)
        reset(&rowOfColumn, to: 0, count: m + 1)
        reset(&way, to: 0, count: m + 1)
        for row in 1...n {
            rowOfColumn[0] = row
            var column0 = 0
            reset(&slack, to: .unbounded, count: m + 1)
            reset(&used, to: false, count: m + 1)
            repeat {
                used[column0] = true
                let row0 = rowOfColumn[column0]
                var delta = Cost.unbounded
                var column1 = 0
                for column in 1...m where !used[column] {
                    let reduced = cost(row0 - 1, column - 1) - rowPotential[row0] - columnPotential[column]
                    if reduced < slack[column] {
                        slack[column] = reduced
                        way[column] = column0
                    }
                    if slack[column] < delta {
                        delta = slack[column]
                        column1 = column
                    }
                }
                for column in 0...m {
                    if used[column] {
                        rowPotential[rowOfColumn[column]] = rowPotential[rowOfColumn[column]] + delta
                        columnPotential[column] = columnPotential[column] - delta
                    } else {
                        slack[column] = slack[column] - delta
                    }
                }
                column0 = column1
            } while rowOfColumn[column0] != 0
            repeat {
                let column1 = way[column0]
                rowOfColumn[column0] = rowOfColumn[column1]
                column0 = column1
            } while column0 != 0
        }
    }

    private func reset<T>(_ array: inout [T], to value: T, count: Int) {
        array.removeAll(keepingCapacity: true)
        array.append(contentsOf: repeatElement(value, count: count))
    }
}
