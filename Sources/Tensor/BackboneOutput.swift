// Which token maps a forward returns: the residual stream after a block, or the final
// LayerNorm's output.

public enum BackboneLayer: Hashable, Sendable, CustomStringConvertible {
    /// The residual stream after block `L` (0-based).
    case block(Int)
    /// After the final LayerNorm.
    case final

    /// "final" or a block number, as the command line writes it.
    public init?(argument: String) {
        if argument == "final" { self = .final; return }
        guard let index = Int(argument), index >= 0 else { return nil }
        self = .block(index)
    }

    public var description: String {
        switch self {
        case .block(let index): "\(index)"
        case .final: "final"
        }
    }
}
