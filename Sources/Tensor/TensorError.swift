// Errors of tensor construction and of the ops' shape checks.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case invalidShape([Int])
    case storageMismatch(shape: [Int], elements: Int)
    case shapeMismatch(operation: String, expected: String, actual: [Int])
    /// oneDNN refused the product (see ModelError.engine).
    case engine(String)

    public var description: String {
        switch self {
        case .invalidShape(let shape):
            "invalid tensor shape \(shape): dimensions must not be negative"
        case .storageMismatch(let shape, let elements):
            "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(elements)"
        case .shapeMismatch(let operation, let expected, let actual):
            "\(operation): expected \(expected), got shape \(actual)"
        case .engine(let problem):
            problem
        }
    }
}
