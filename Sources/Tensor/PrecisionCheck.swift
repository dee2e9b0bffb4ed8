// A real product at each precision, run as the backbone runs its Linear layers (operands
// converted or quantized the same way, packed weights, fused bias), checked against a
// float64 reference: what `dpcl doctor` reports and what decides whether a precision runs here.
import CDNNL

public struct PrecisionCheck: Sendable {
    public let precision: Precision
    /// oneDNN's implementation, e.g. "brg:avx512_core_bf16" (the ISA it dispatched to).
    public let implementation: String
    /// max |product − reference| / max |reference|.
    public let relativeError: Double
    /// What the precision's rounding allows (fp32 1e-5, bf16 2e-2, int8 4e-2).
    public let bound: Double

    public var passed: Bool { relativeError <= bound }

    /// The ISA oneDNN may use on this CPU, e.g. "avx512_core_bf16".
    public static var isa: String {
        switch OneDNN.isa {
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        case dnnl_cpu_isa_avx2: "avx2"
        default: "isa 0x\(String(OneDNN.isa.rawValue, radix: 16))"
        }
    }

    /// oneDNN's version, e.g. "2.6.3".
    public static var version: String {
        let v = dnnl_version().pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Runs a 48 × 96 → 80 product at `precision` (auto resolved first).
    public static func run(_ precision: Precision) throws(ModelError) -> PrecisionCheck {
        let precision = precision.resolved
        let (m, k, n) = (48, 96, 80)
        var pattern: UInt32 = 2_463_534_242
        func next() -> Float {
            pattern ^= pattern << 13; pattern ^= pattern >> 17; pattern ^= pattern << 5
            return Float(pattern % 2001) / 1000 - 1
        }
        let x = (0..<(m * k)).map { _ in next() }
        let linear = DINOv2.Linear(weight: (0..<(n * k)).map { _ in next() }, bias: (0..<n).map { _ in next() },
                                   outFeatures: n, inFeatures: k)
        let product = try PackedLinear(linear, precision: precision, output: .f32, fusion: .store)
        let primitive = try product.primitive(rows: m)
        let worker = OneDNN.Worker()
        var y = [Float](repeating: 0, count: m * n)
        let operand = PackedLinear.operand(precision)
        let input = AlignedBuffer(bytes: m * k * operand.bytes)
        var rowScales = [Float](repeating: 1, count: m)
        x.withUnsafeBufferPointer { x in
            switch operand {
            case .f32: input.pointer.copyMemory(from: x.baseAddress!, byteCount: m * k * 4)
            case .bf16: Quantize.bfloat16(x.baseAddress!, count: m * k, into: input.pointer.assumingMemoryBound(to: UInt16.self))
            case .s8:
                Quantize.int8Rows(x.baseAddress!, rows: m, columns: k, scales: &rowScales,
                                  into: input.pointer.assumingMemoryBound(to: Int8.self))
            }
        }
        y.withUnsafeMutableBytes { y in
            rowScales.withUnsafeBufferPointer { scales in
                product.apply(primitive, input.pointer, into: y.baseAddress!,
                              rowScales: operand == .s8 ? scales.baseAddress! : nil, on: worker)
            }
        }
        var worst = 0.0, largest = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var reference = Double(linear.bias[j])
                for t in 0..<k { reference += Double(x[i * k + t]) * Double(linear.weight[j * k + t]) }
                worst = max(worst, abs(Double(y[i * n + j]) - reference))
                largest = max(largest, abs(reference))
            }
        }
        let bound = switch precision { case .bf16: 2e-2; case .int8: 4e-2; default: 1e-5 }
        return PrecisionCheck(precision: precision, implementation: primitive.implementation,
                              relativeError: worst / largest, bound: bound)
    }
}

extension Precision {
    /// Whether oneDNN runs this precision's products on this CPU (natively or emulated).
    public var isAvailable: Bool { (try? PrecisionCheck.run(self)) != nil }
}
