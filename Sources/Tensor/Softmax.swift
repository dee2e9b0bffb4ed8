// Row softmax as a oneDNN softmax primitive, float32 scores in, the probabilities written as
// float32 or straight as bf16: its AVX-512 kernel does the max, exp, sum and division in one
// primitive, where the portable Swift kernels run on the baseline's narrower vectors.
import CDNNL
import Synchronization

final class SoftmaxPrimitive: @unchecked Sendable {
    private let primitive: dnnl_primitive_t
    private let source, destination: dnnl_memory_desc_t
    /// oneDNN's name of the implementation it dispatched to, e.g. "jit:avx512_core".
    let implementation: String

    private struct Key: Hashable { let rows: Int, columns: Int, output: Matmul.DataType }
    private static let cache = Mutex<[Key: SoftmaxPrimitive]>([:])

    /// The primitive for `rows` rows of `columns` (dense) into `output`, created on first use.
    static func cached(rows: Int, columns: Int, output: Matmul.DataType) throws(ModelError) -> SoftmaxPrimitive {
        let key = Key(rows: rows, columns: columns, output: output)
        if let kept = cache.withLock({ $0[key] }) { return kept }
        let made = try SoftmaxPrimitive(key)
        return cache.withLock { cache in
            if let kept = cache[key] { return kept }
            cache[key] = made
            return made
        }
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
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name)
        implementation = name.map { String(cString: $0) } ?? "unknown"
        var primitive: dnnl_primitive_t?
        try OneDNN.check(dnnl_primitive_create(&primitive, pd), "softmax primitive")
        self.primitive = primitive!
        self.source = source
        self.destination = destination
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// y = softmax(x) over each row; y may be x when both are float32.
    func run(_ x: UnsafeRawPointer, into y: UnsafeMutableRawPointer, stream: OneDNN.Stream) {
        var memories: [dnnl_memory_t?] = [nil, nil]
        var source = source, destination = destination
        var status = dnnl_memory_create(&memories[0], &source, OneDNN.engine, UnsafeMutableRawPointer(mutating: x))
        precondition(status == dnnl_success, "oneDNN could not wrap a buffer: status \(status.rawValue)")
        status = dnnl_memory_create(&memories[1], &destination, OneDNN.engine, y)
        precondition(status == dnnl_success, "oneDNN could not wrap a buffer: status \(status.rawValue)")
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memories[0]),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memories[1])]
        OneDNN.singleThreaded()
        status = dnnl_primitive_execute(primitive, stream.stream, 2, &args)
        precondition(status == dnnl_success, "oneDNN softmax failed: status \(status.rawValue)")
        for memory in memories { dnnl_memory_destroy(memory) }
    }
}
