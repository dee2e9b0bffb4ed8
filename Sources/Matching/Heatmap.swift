// One group's correlation map upsampled to a finer grid (bilinear, half-pixel centres) and
// turned into a heatmap relative to its own maximum: heat = sigmoid((c − (max − offset)) / T).
import Foundation

/// Source rows (or columns) and weights of each upsampled row (or column).
struct UpsampleAxis: Sendable {
    let low: [Int], high: [Int], weight: [Float]

    init(cells: Int, factor: Int) {
        let taps = (0..<(cells * factor)).map { PixelToGrid(pixel: $0, scale: 1 / Double(factor), cells: cells) }
        low = taps.map(\.low)
        high = taps.map(\.high)
        weight = taps.map(\.weight)
    }

    var count: Int { low.count }
}

struct Heatmap {
    let rows: Int, columns: Int
    /// The upsampled correlation, row-major.
    var cost: [Float]
    var heat: [Float]
    let maxCost: Float

    /// `grid` is the group's cost on the patch grid (`rowsAxis.low` indexes its rows).
    init(grid: UnsafePointer<Float>, gridWidth: Int, rowsAxis: UpsampleAxis, columnsAxis: UpsampleAxis,
         offset: Float, temperature: Float) {
        let rows = rowsAxis.count, columns = columnsAxis.count
        self.rows = rows
        self.columns = columns
        var cost = [Float](repeating: 0, count: rows * columns)
        var maxCost = -Float.infinity
        cost.withUnsafeMutableBufferPointer { out in
            for i in 0..<rows {
                let top = grid + rowsAxis.low[i] * gridWidth, bottom = grid + rowsAxis.high[i] * gridWidth
                let wy = rowsAxis.weight[i]
                for j in 0..<columns {
                    let (l, h, wx) = (columnsAxis.low[j], columnsAxis.high[j], columnsAxis.weight[j])
                    let upper = top[l] + (top[h] - top[l]) * wx
                    let lower = bottom[l] + (bottom[h] - bottom[l]) * wx
                    let value = upper + (lower - upper) * wy
                    out[i * columns + j] = value
                    maxCost = max(maxCost, value)
                }
            }
        }
        let floor = maxCost - offset
        heat = cost.map { value -> Float in
            let z: Float = (floor - value) / temperature
            return 1 / (1 + z.exp())
        }
        self.cost = cost
        self.maxCost = maxCost
    }

    /// The cell of highest heat (first on ties).
    var argmax: Int {
        var best = 0
        for index in heat.indices where heat[index] > heat[best] { best = index }
        return best
    }
}

extension Float {
    @inline(__always) func exp() -> Float { Float(Foundation.exp(Double(self))) }
}
