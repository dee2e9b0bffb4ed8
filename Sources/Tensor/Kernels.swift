// The elementwise and row-wise ops of a transformer block on raw row-major buffers:
// LayerNorm, GELU (erf form), row softmax, residual add with a per-channel scale, a row
// scaled by one factor (int8's grid of dequantization scales).

enum Kernels {
    /// y = (x − mean) / sqrt(var + eps) · weight + bias, per row of `columns`; y may be x.
    static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, columns: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float,
        into y: UnsafeMutablePointer<Float>
    ) {
        let n = Float(columns)
        for row in 0..<rows {
            let source = x + row * columns
            let target = y + row * columns
            let mean = FastMath.sum(source, count: columns) / n
            // Two passes, as the reference does: the mean first, then the squared deviations.
            var squares = Lanes()
            var j = 0
            while j + 8 <= columns {
                let d = UnsafeRawPointer(source + j).loadUnaligned(as: Lanes.self) - mean
                squares += d * d
                j += 8
            }
            var variance = squares.sum()
            while j < columns { let d = source[j] - mean; variance += d * d; j += 1 }
            let inverse = 1 / (variance / n + eps).squareRoot()
            for k in 0..<columns {
                target[k] = (source[k] - mean) * inverse * weight[k] + bias[k]
            }
        }
    }

    /// GELU(x) = x/2 · (1 + erf(x/√2)), in place.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        FastMath.map(x, count: count) { v in
            v * 0.5 * (1 + FastMath.erf(v * 0.70710678118654752))
        }
    }

    /// Softmax over each row of `columns`, in place, shifted by the row maximum.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let whole = columns / 8 * 8
        for row in 0..<rows {
            let scalars = x + row * columns
            let values = UnsafeMutableRawPointer(scalars)
            var lanesMaximum = Lanes(repeating: -.infinity)
            for j in stride(from: 0, to: whole, by: 8) {
                let v = values.loadUnaligned(fromByteOffset: 4 * j, as: Lanes.self)
                lanesMaximum = lanesMaximum.replacing(with: v, where: v .> lanesMaximum)
            }
            var maximum = -Float.infinity
            for lane in 0..<8 { maximum = Swift.max(maximum, lanesMaximum[lane]) }
            for j in whole..<columns { maximum = Swift.max(maximum, scalars[j]) }

            var sums = Lanes()
            for j in stride(from: 0, to: whole, by: 8) {
                let e = FastMath.exp(values.loadUnaligned(fromByteOffset: 4 * j, as: Lanes.self) - maximum)
                values.storeBytes(of: e, toByteOffset: 4 * j, as: Lanes.self)
                sums += e
            }
            var sum: Float = 0
            for lane in 0..<8 { sum += sums[lane] }
            if whole < columns {
                var tail = Lanes(repeating: maximum)
                for j in whole..<columns { tail[j - whole] = scalars[j] }
                tail = FastMath.exp(tail - maximum)
                for j in whole..<columns { scalars[j] = tail[j - whole]; sum += tail[j - whole] }
            }
            let inverse = 1 / sum
            for j in 0..<columns { scalars[j] *= inverse }
        }
    }

    /// residual[r, c] += x[r, c] · scale[c] (or plain addition without a scale).
    static func addScaled(
        _ x: UnsafePointer<Float>, scale: UnsafePointer<Float>?, rows: Int, columns: Int,
        into residual: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<rows {
            let source = x + row * columns
            let target = residual + row * columns
            if let scale {
                for j in 0..<columns { target[j] += source[j] * scale[j] }
            } else {
                for j in 0..<columns { target[j] += source[j] }
            }
        }
    }

    /// y[j] = x[j] · factor.
    static func scale(_ x: UnsafePointer<Float>, by factor: Float, count: Int, into y: UnsafeMutablePointer<Float>) {
        for j in 0..<count { y[j] = x[j] * factor }
    }
}
