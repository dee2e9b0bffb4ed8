// The conversions of float32 activations into the products' narrower operands: bfloat16
// (round to nearest even) and symmetric int8 with one scale per row (per token).

enum Quantize {
    /// y[i] = bf16(x[i]), rounded to nearest even (finite inputs).
    static func bfloat16(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<UInt16>) {
        let whole = count / 8 * 8
        let source = UnsafeRawPointer(x)
        for i in stride(from: 0, to: whole, by: 8) {
            let v = source.loadUnaligned(fromByteOffset: 4 * i, as: Lanes.self)
            let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self)
            let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
            UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: rounded), as: SIMD8<UInt16>.self)
        }
        for i in whole..<count {
            let bits = x[i].bitPattern
            y[i] = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        }
    }

    /// The largest |x[i]|.
    static func maximumMagnitude(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let whole = count / 8 * 8
        var lanes = Lanes()
        let source = UnsafeRawPointer(x)
        for i in stride(from: 0, to: whole, by: 8) {
            let v = source.loadUnaligned(fromByteOffset: 4 * i, as: Lanes.self)
            let magnitude = v.replacing(with: -v, where: v .< 0)
            lanes = lanes.replacing(with: magnitude, where: magnitude .> lanes)
        }
        var maximum = lanes.max()
        for i in whole..<count { maximum = max(maximum, abs(x[i])) }
        return maximum
    }

    /// The scale of a tensor whose largest magnitude is `maximum`: `steps` (at most 127)
    /// steps each side of 0.
    static func scale(maximum: Float, steps: Float = 127) -> Float { maximum > 0 ? maximum / steps : 1 }

    /// The steps each side of 0 of an int8 weight: 127 on VNNI, else 63 (7 bits), which keeps
    /// oneDNN's int16 pair sums from saturating (`OneDNN.vnni`).
    static var weightSteps: Float { OneDNN.vnni ? 127 : 63 }

    /// y[i] = round(x[i] / scale), clamped to ±127. Rounded by adding 1.5·2²³ (the sum's low
    /// mantissa bits are then the integer), as FastMath.exp does: the generic conversions
    /// would not vectorise.
    static func int8(_ x: UnsafePointer<Float>, count: Int, scale: Float, into y: UnsafeMutablePointer<Int8>) {
        let inverse = 1 / scale
        let whole = count / 8 * 8
        let source = UnsafeRawPointer(x)
        let low = Lanes(repeating: -127), high = Lanes(repeating: 127)
        for i in stride(from: 0, to: whole, by: 8) {
            var v = source.loadUnaligned(fromByteOffset: 4 * i, as: Lanes.self) * inverse
            v = v.replacing(with: low, where: v .< low).replacing(with: high, where: v .> high)
            let integer = unsafeBitCast(v + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
            UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: integer), as: SIMD8<Int8>.self)
        }
        for i in whole..<count { y[i] = Int8(max(-127, min(127, (x[i] * inverse).rounded(.toNearestOrEven)))) }
    }

    /// Each of `rows` rows of `columns` values quantized with its own scale (max |x| of the
    /// row / 127), written to `scales`: a token of large values (DINOv2's registers and class
    /// token carry norms far above the patches') then costs no other token its resolution.
    static func int8Rows(_ x: UnsafePointer<Float>, rows: Int, columns: Int, scales: UnsafeMutablePointer<Float>,
                         into y: UnsafeMutablePointer<Int8>) {
        for row in 0..<rows {
            let source = x + row * columns
            let scale = Self.scale(maximum: maximumMagnitude(source, count: columns))
            scales[row] = scale
            int8(source, count: columns, scale: scale, into: y + row * columns)
        }
    }
}
