// The safetensors format: an 8-byte little-endian header length, a JSON header (dtype, shape,
// byte range per tensor), then raw data. The data is memory-mapped; each tensor is converted
// to float32 on load and its pages released, so peak memory stays near one copy.
import Foundation

public final class SafeTensorsFile {
    public enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16"

        var size: Int { self == .f32 ? 4 : 2 }
    }

    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        let range: Range<Int>
    }

    public let path: String
    public let entries: [String: Entry]
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let dataStart: Int

    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(status.st_size)
        guard size >= 8 else { throw .truncatedHeader(path: path, size: size) }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
              mapped != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        do {
            let headerLength = Int(UInt64(littleEndian: mapped.loadUnaligned(as: UInt64.self)))
            guard headerLength <= size - 8 else { throw SafeTensorsError.truncatedHeader(path: path, size: size) }
            let header = Data(bytes: mapped + 8, count: headerLength)
            entries = try Self.parse(header, path: path, dataSize: size - 8 - headerLength)
            dataStart = 8 + headerLength
        } catch let error as SafeTensorsError {
            munmap(mapped, size)
            throw error
        } catch {
            munmap(mapped, size)
            throw .invalidHeader(path: path, reason: "\(error)")
        }
        self.base = mapped
        self.size = size
    }

    deinit { munmap(base, size) }

    public var names: [String] { entries.keys.sorted() }

    /// The tensor as float32, checked against `expected` when given.
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> Tensor {
        guard let entry = entries[name] else { throw .missingTensor(name) }
        if let expected, expected != entry.shape {
            throw .wrongShape(tensor: name, expected: expected, actual: entry.shape)
        }
        let count = entry.shape.reduce(1, *)
        if count == 0 { return Tensor(zeros: entry.shape) }
        let source = UnsafeRawPointer(base + dataStart + entry.range.lowerBound)
        let tensor = Tensor(shape: entry.shape) { buffer in
            switch entry.dtype {
            case .f32:
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: source, byteCount: count * 4)
                for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
            case .f16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    buffer[i] = Float(Float16(bitPattern: bits))
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    buffer[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            }
        }
        release(entry.range)
        return tensor
    }

    /// Drops the mapped pages of a tensor already copied out (they are clean file pages).
    private func release(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (dataStart + range.lowerBound + page - 1) / page * page
        let end = (dataStart + range.upperBound) / page * page
        if end > start { madvise(base + start, end - start, Int32(MADV_DONTNEED)) }
    }

    private static func parse(_ header: Data, path: String, dataSize: Int) throws -> [String: Entry] {
        guard let object = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw SafeTensorsError.invalidHeader(path: path, reason: "not a JSON object")
        }
        var entries: [String: Entry] = [:]
        // `__metadata__` (free-form strings) names no tensor.
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any],
                  let dtypeName = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int],
                  let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
                throw SafeTensorsError.invalidHeader(path: path, reason: "tensor \(name) lacks dtype, shape or data_offsets")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw SafeTensorsError.unsupportedDType(tensor: name, dtype: dtypeName)
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0] else {
                throw SafeTensorsError.invalidHeader(path: path, reason: "tensor \(name) has a negative shape or offsets")
            }
            guard offsets[1] <= dataSize else {
                throw SafeTensorsError.truncatedData(tensor: name, needs: offsets[1], fileHas: dataSize)
            }
            let bytes = offsets[1] - offsets[0]
            guard let elements = Tensor.elementCount(shape), elements <= bytes, elements * dtype.size == bytes else {
                throw SafeTensorsError.byteCountMismatch(tensor: name, shape: shape, dtype: dtypeName, bytes: bytes)
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        return entries
    }
}
