// Errors of loading a model and of running it on a given input.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case configUnreadable(path: String, reason: String)
    case invalidConfig(path: String, problem: String)
    case weights(SafeTensorsError)
    case inputShape(expected: String, actual: [Int])
    case layerOutOfRange(Int, depth: Int)
    /// The config asks for a precision whose products oneDNN does not run on this CPU.
    case precisionUnavailable(Precision, isa: String)
    /// oneDNN refused a primitive or a buffer (an unsupported shape or type on this CPU).
    case engine(String)

    public var description: String {
        switch self {
        case .configUnreadable(let path, let reason):
            "cannot read model config \(path): \(reason)"
        case .invalidConfig(let path, let problem):
            "model config \(path): \(problem)"
        case .weights(let error):
            error.description
        case .inputShape(let expected, let actual):
            "input of shape \(actual): expected \(expected)"
        case .layerOutOfRange(let layer, let depth):
            "layer \(layer) does not exist: the model has layers 0...\(depth - 1)"
        case .precisionUnavailable(let precision, let isa):
            "precision \(precision) does not run on this CPU (oneDNN's instruction set here: \(isa)"
                + (precision == .bf16 ? "; bf16 needs AVX-512" : "") + "): use \"auto\" or \"fp32\""
        case .engine(let problem):
            problem
        }
    }
}
