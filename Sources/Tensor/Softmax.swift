// Row softmax as a oneDNN softmax primitive, float32 scores in, the probabilities written as
// float32 or straight as bf16: its AVX-512 kernel does the max, exp, sum and division in one
// primitive, where the portable Swift kernels run on the baseline's narrower vectors.
import CDNNL

final class SoftmaxPrimitive: @unchecked Sendable {
    private let primitive: dnnl_primitive_t
    private let source, destination: dnnl_memory_desc_t

    private struct Key: Hashable, Sendable { let rows: Int, columns: Int, output: Matmul.DataType }
    private static let cache = PrimitiveCache<Key, SoftmaxPrimitive>()

    /// The primitive for `rows` rows of `columns` (dense) into `output`, created on first use.
    static func cached(rows: Int, columns: Int, output: Matmul.DataType) throws(ModelError) -> SoftmaxPrimitive {
        let key = Key(rows: rows, columns: columns, output: output)
        return try cache.value(key) { () throws(ModelError) in try SoftmaxPrimitive(key) }
    }

    private init(_ key: Key) throws(ModelError) {
        OneDNN.singleThreaded()
        var source = try OneDNN.descriptor([key.rows, key.columns], dnnl_f32)
        var destination = try OneDNN.descriptor([key.rows, key.columns], key.output.dnnl)
        var operation = dnnl_softmax_v2_desc_t()
        try OneDNN.check(dnnl_softmax_v2_forward_desc_init(&operation, dnnl_forward_inference, dnnl_softmax_accurate,
                                                           &source, &destination, 1),
                         "softmax \(key.rows)x\(key.columns)")
        var pd: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_primitive_desc_create(&pd, &operation, nil, OneDNN.engine, nil),
                         "softmax \(key.rows)x\(key.columns) → \(key.output)")
        defer { dnnl_primitive_desc_destroy(pd) }
        (primitive, _) = try OneDNN.primitive(pd, "softmax primitive")
        self.source = source
        self.destination = destination
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// y = softmax(x) over each row; y may be x when both are float32.
    func run(_ x: UnsafeRawPointer, into y: UnsafeMutableRawPointer, stream: OneDNN.Stream) {
        OneDNN.execute(primitive, [OneDNN.Argument(kind: DNNL_ARG_SRC, descriptor: source, pointer: x),
                                   OneDNN.Argument(kind: DNNL_ARG_DST, descriptor: destination, pointer: y)],
                       on: stream, "softmax")
    }
}
