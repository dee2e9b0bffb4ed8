// What can be wrong with a weight file, each case naming the file or tensor to fix.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case truncatedHeader(path: String, size: Int)
    case invalidHeader(path: String, reason: String)
    case unsupportedDType(tensor: String, dtype: String)
    case truncatedData(tensor: String, needs: Int, fileHas: Int)
    case byteCountMismatch(tensor: String, shape: [Int], dtype: String, bytes: Int)
    case missingTensor(String)
    case wrongShape(tensor: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open weight file \(path): \(reason)"
        case .truncatedHeader(let path, let size):
            "\(path) is not a safetensors file or is truncated: \(size) bytes cannot hold its header"
        case .invalidHeader(let path, let reason):
            "\(path): invalid safetensors header: \(reason)"
        case .unsupportedDType(let tensor, let dtype):
            "tensor \(tensor) has dtype \(dtype); supported: F32, F16, BF16"
        case .truncatedData(let tensor, let needs, let fileHas):
            "tensor \(tensor) ends at byte \(needs) of the data section but the file holds only \(fileHas): the file is truncated"
        case .byteCountMismatch(let tensor, let shape, let dtype, let bytes):
            "tensor \(tensor): shape \(shape) in \(dtype) does not take \(bytes) bytes"
        case .missingTensor(let name):
            "the weight file has no tensor \(name)"
        case .wrongShape(let tensor, let expected, let actual):
            "tensor \(tensor) has shape \(actual), the model config needs \(expected)"
        }
    }
}
