// NumPy's .npy format for float32 arrays (little-endian, C order): how `dpcl embed` takes
// an already normalised input and writes its token maps.
import Foundation

public enum NPYError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notNPY(path: String)
    case invalidHeader(path: String, reason: String)
    case unsupportedDType(path: String, dtype: String)
    case fortranOrder(path: String)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .notNPY(let path): "\(path) is not a NumPy .npy file (no \\x93NUMPY magic)"
        case .invalidHeader(let path, let reason): "\(path): invalid .npy header: \(reason)"
        case .unsupportedDType(let path, let dtype):
            "\(path) holds dtype \(dtype); save it as float32 ('<f4'), e.g. array.astype(numpy.float32)"
        case .fortranOrder(let path): "\(path) is in Fortran order; save a C-contiguous array"
        case .truncated(let path, let expected, let actual):
            "\(path) is truncated: its header promises \(expected) data bytes, it holds \(actual)"
        case .unwritable(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}

public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    public static func read(path: String) throws(NPYError) -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "no such file or not readable")
        }
        return try decode([UInt8](data), path: path)
    }

    static func decode(_ bytes: [UInt8], path: String) throws(NPYError) -> Tensor {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw .notNPY(path: path) }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard major >= 1, major <= 3, bytes.count >= 8 + lengthBytes else {
            throw .invalidHeader(path: path, reason: "unknown version \(major)")
        }
        var headerLength = 0
        for i in (0..<lengthBytes).reversed() { headerLength = headerLength << 8 | Int(bytes[8 + i]) }
        let start = 8 + lengthBytes
        guard start + headerLength <= bytes.count,
              let header = String(bytes: bytes[start..<(start + headerLength)], encoding: .utf8) else {
            throw .invalidHeader(path: path, reason: "header runs past the end of the file")
        }
        guard let descr = field("descr", in: header), let order = field("fortran_order", in: header),
              let shapeText = field("shape", in: header) else {
            throw .invalidHeader(path: path, reason: "missing descr, fortran_order or shape")
        }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        guard dtype == "<f4" || dtype == "=f4" else { throw .unsupportedDType(path: path, dtype: dtype) }
        guard order == "False" else { throw .fortranOrder(path: path) }
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let dimension = Int(text), dimension >= 0 else {
                throw .invalidHeader(path: path, reason: "shape \(shapeText)")
            }
            shape.append(dimension)
        }
        let dataStart = start + headerLength
        let available = bytes.count - dataStart
        guard let count = Tensor.elementCount(shape), count <= available / 4 else {
            // Four bytes an element, counted as one more dimension so that it cannot overflow either.
            throw .truncated(path: path, expectedBytes: Tensor.elementCount(shape + [4]) ?? Int.max, actualBytes: available)
        }
        return Tensor(shape: shape) { buffer in
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: dataStart + 4 * i, as: UInt32.self)
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
        }
    }

    /// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
    private static func field(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var value = ""
        var depth = 0
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth == 0 && (character == "," || character == "}") { break }
            value.append(character)
            if depth == 0 && character == ")" { break }
        }
        return value.trimmingCharacters(in: .whitespaces)
    }

    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)"
            : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        // Data starts on a 64-byte boundary, header ends with a newline (format 1.0).
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + tensor.count * 4)
        for value in tensor.storage {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
        return bytes
    }

    public static func write(_ tensor: Tensor, to path: String) throws(NPYError) {
        do {
            try Data(encode(tensor)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path: path, reason: error.localizedDescription)
        }
    }
}
