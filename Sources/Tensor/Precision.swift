// The number format of the backbone's matrix products, as a model config asks for it
// (`"precision"`) and as it resolves on this CPU.

public enum Precision: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// bf16 where oneDNN runs bf16 products on a bf16 ISA (AVX-512 BF16, AMX), else fp32.
    case auto
    /// Every product in float32.
    case fp32
    /// Products on bfloat16 operands (weights converted at load, activations written as bf16
    /// by the op before the product), accumulated in float32; every other op in float32.
    case bf16
    /// The blocks' four Linear layers on int8: weights per output channel and activations per
    /// token (at run time), symmetric, accumulated in int32; attention products as `auto`.
    case int8

    public var description: String { rawValue }

    /// What this setting means on this CPU: never `auto`.
    public var resolved: Precision {
        self == .auto ? (OneDNN.nativeBF16 ? .bf16 : .fp32) : self
    }

    /// The precision of the products that int8 leaves in floating point (attention).
    var floating: Precision { self == .int8 ? Precision.auto.resolved : self }
}
