// Vectorised exp and erf on eight lanes: softmax and GELU evaluate tens of millions of them
// per forward, and the scalar libm calls would cost more than the matrix products around them.

typealias Lanes = SIMD8<Float>

enum FastMath {
    /// e^x with Cephes' expf range reduction and polynomial (about 1 ulp on [-87, 88]; clamped outside).
    @inline(__always)
    static func exp(_ input: Lanes) -> Lanes {
        // Clamped by selects: the generic `clamped` is not inlined.
        let low = Lanes(repeating: -87.33654), high = Lanes(repeating: 88.0)
        var x0 = input.replacing(with: low, where: input .< low)
        x0 = x0.replacing(with: high, where: x0 .> high)
        // Round x·log2(e) to the nearest integer by adding 1.5·2²³: the sum's low mantissa bits
        // are then the integer itself, read without a (scalarised) float-to-int conversion.
        let shifted = x0 * 1.442695041 + 12_582_912
        let n = shifted - 12_582_912
        var x = x0 - n * 0.693359375
        x = x + n * 2.12194440e-4
        let z = x * x
        var y = Lanes(repeating: 1.9875691500e-4)
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let exponent = (integer &+ 127) &<< 23
        return y * unsafeBitCast(exponent, to: Lanes.self)
    }

    /// erf(x) by Abramowitz & Stegun 7.1.28, 1 − (1 + a₁x + … + a₆x⁶)⁻¹⁶ for x ≥ 0 (absolute
    /// error below 3e-7, 1.3e-6 once rounded to float): one division and no exponential,
    /// half the work of 7.1.26 with its exp.
    @inline(__always)
    static func erf(_ x: Lanes) -> Lanes {
        let a = x.replacing(with: -x, where: x .< 0)
        var p = Lanes(repeating: 0.0000430638)
        p = p * a + 0.0002765672
        p = p * a + 0.0001520143
        p = p * a + 0.0092705272
        p = p * a + 0.0422820123
        p = p * a + 0.0705230784
        p = p * a + 1
        p = p * p; p = p * p; p = p * p; p = p * p
        let magnitude = 1 - 1 / p
        return magnitude.replacing(with: -magnitude, where: x .< 0)
    }

    /// Applies `lanes` to `count` floats in place, eight at a time, the tail through a
    /// zero-padded vector.
    @inline(__always)
    static func map(_ values: UnsafeMutablePointer<Float>, count: Int, _ lanes: (Lanes) -> Lanes) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(values + i)
            raw.storeBytes(of: lanes(raw.loadUnaligned(as: Lanes.self)), as: Lanes.self)
            i += 8
        }
        if i < count {
            var tail = Lanes()
            for j in 0..<(count - i) { tail[j] = values[i + j] }
            tail = lanes(tail)
            for j in 0..<(count - i) { values[i + j] = tail[j] }
        }
    }

    /// Σ values, accumulated on eight lanes.
    @inline(__always)
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var accumulator = Lanes()
        var i = 0
        while i + 8 <= count {
            accumulator += UnsafeRawPointer(values + i).loadUnaligned(as: Lanes.self)
            i += 8
        }
        var total = accumulator.sum()
        while i < count { total += values[i]; i += 1 }
        return total
    }
}
