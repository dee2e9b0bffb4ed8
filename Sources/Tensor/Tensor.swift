// A contiguous float32 tensor: a shape and row-major storage, the engine's one data type.
public struct Tensor: Sendable, Equatable {
    public let shape: [Int]
    public var storage: [Float]

    /// Wraps `storage`; throws when its length is not the product of `shape`.
    public init(shape: [Int], storage: [Float]) throws(TensorError) {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidShape(shape) }
        let count = shape.reduce(1, *)
        guard storage.count == count else {
            throw .storageMismatch(shape: shape, elements: storage.count)
        }
        self.shape = shape
        self.storage = storage
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.storage = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// Builds the storage in place, without first zeroing it.
    init(shape: [Int], filling: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.storage = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            filling(buffer)
            initialized = count
        }
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The same data under another shape of the same element count.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        try Tensor(shape: newShape, storage: storage)
    }

    /// The element count of a shape read from a file; nil when the product overflows, so
    /// that a hostile header cannot trap.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// Rows and columns when the tensor is read as a matrix over its last axis.
    var matrixShape: (rows: Int, columns: Int) {
        let columns = shape.last ?? 1
        return (columns == 0 ? 0 : count / columns, columns)
    }
}
