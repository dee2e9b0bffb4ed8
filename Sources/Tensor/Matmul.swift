// One matrix product as a oneDNN matmul primitive: C[m×n] (+)= A[m×k] · B[k×n] with operand
// types, strides and what is fused after it (bias, GELU, residual add, scales). A
// description's primitive is created once per process and reused by every later product of
// the same description; weights that the engine owns are reordered once into the layout
// oneDNN prefers for their shape (format_tag any) and described as `packed`.
import CDNNL

struct Matmul: Hashable, Sendable {
    enum DataType: Hashable, Sendable {
        case f32, bf16, s8
        var dnnl: dnnl_data_type_t {
            switch self { case .f32: dnnl_f32; case .bf16: dnnl_bf16; case .s8: dnnl_s8 }
        }
        var bytes: Int {
            switch self { case .f32: 4; case .bf16: 2; case .s8: 1 }
        }
    }

    /// B read in place with these element strides, or owned weights in oneDNN's layout.
    enum Weights: Hashable, Sendable {
        case strided(kStride: Int, nStride: Int)
        case packed
    }

    /// What is applied to the product before it is stored.
    enum Fusion: Hashable, Sendable {
        case store
        case gelu
        /// C += product: a residual connection.
        case accumulate
    }

    enum Scale: Hashable, Sendable {
        case none
        case common(Float)
        /// int8 dequantization: one scale per output element, given with each run (a column's
        /// weight scale times a row's activation scale: this oneDNN's brgemm kernels take no
        /// per-row operand, a [m, 1] post-op falls back to its reference code).
        case perElement
    }

    var m: Int, n: Int, k: Int
    var source: DataType, sourceStride: Int
    var weightsType: DataType, weights: Weights
    var destination: DataType, destinationStride: Int
    /// A bias per output column; with per-column scales it is added after them (post-op).
    var bias = false
    var fusion = Fusion.store
    var scale = Scale.none

    /// The rows of the product that decides a packed layout: oneDNN's choice depends on the
    /// weights' shape and type, not on the rows, so every row count shares one reordering.
    static let layoutRows = 256

    /// The primitive of this description, created on first use.
    func primitive() throws(ModelError) -> MatmulPrimitive {
        try MatmulPrimitive.cached(self)
    }

    /// The primitive that chooses the layout of packed weights (its `weights`) for products
    /// of this description's weights, and names the implementation they get.
    func layoutPrimitive() throws(ModelError) -> MatmulPrimitive {
        var reference = self
        reference.m = Self.layoutRows
        return try MatmulPrimitive.cached(reference, anyWeights: true)
    }
}

final class MatmulPrimitive: @unchecked Sendable {
    let primitive: dnnl_primitive_t
    let source, weights, bias, destination, scales, scratchpadDescriptor: dnnl_memory_desc_t
    let scratchpadBytes: Int
    /// oneDNN's name of the implementation it dispatched to, e.g. "brg:avx512_core_bf16".
    let implementation: String
    let description: Matmul

    private struct Key: Hashable, Sendable { let description: Matmul; let anyWeights: Bool }
    private static let cache = PrimitiveCache<Key, MatmulPrimitive>()

    /// oneDNN's implementations of the products made so far (not those that only chose a
    /// packed layout).
    static var implementations: Set<String> {
        Set(cache.entries.filter { !$0.key.anyWeights }.map(\.value.implementation))
    }

    static func cached(_ description: Matmul, anyWeights: Bool = false) throws(ModelError) -> MatmulPrimitive {
        try cache.value(Key(description: description, anyWeights: anyWeights)) { () throws(ModelError) in
            try MatmulPrimitive(description, anyWeights: anyWeights)
        }
    }

    private init(_ d: Matmul, anyWeights: Bool) throws(ModelError) {
        description = d
        // A primitive plans its work for the threads of the thread that creates it.
        OneDNN.singleThreaded()
        var source = try OneDNN.descriptor([d.m, d.k], d.source.dnnl, strides: [d.sourceStride, 1])
        var weights: dnnl_memory_desc_t
        switch d.weights {
        case .strided(let kStride, let nStride):
            weights = try OneDNN.descriptor([d.k, d.n], d.weightsType.dnnl, strides: [kStride, nStride])
        case .packed:
            weights = anyWeights ? try OneDNN.anyDescriptor([d.k, d.n], d.weightsType.dnnl) : try d.layoutPrimitive().weights
        }
        // With scales the bias follows them as a post-op: this oneDNN's bias argument would
        // be added before them, in the accumulator's units.
        let biasArgument = d.bias && d.scale != .perElement
        var bias = try OneDNN.descriptor([1, d.n], dnnl_f32)
        var destination = try OneDNN.descriptor([d.m, d.n], d.destination.dnnl, strides: [d.destinationStride, 1])
        var scales = try OneDNN.descriptor([d.m, d.n], dnnl_f32)

        var attributes: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attributes), "attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        try OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
        var postOps: dnnl_post_ops_t?
        try OneDNN.check(dnnl_post_ops_create(&postOps), "post-ops")
        defer { dnnl_post_ops_destroy(postOps) }
        switch d.scale {
        case .none: break
        case .common(let value):
            var value = value
            try OneDNN.check(dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &value), "output scale")
        case .perElement:
            // Binary post-ops: this oneDNN's int8 brgemm kernels take constant output scales
            // only, and the activations' scales change with every input.
            try OneDNN.check(dnnl_post_ops_append_binary(postOps, dnnl_binary_mul, &scales), "scales post-op")
            if d.bias {
                try OneDNN.check(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &bias), "bias post-op")
            }
        }
        switch d.fusion {
        case .store: break
        case .accumulate: try OneDNN.check(dnnl_post_ops_append_sum(postOps, 1), "sum post-op")
        case .gelu: try OneDNN.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_gelu_erf, 0, 0), "GELU post-op")
        }
        try OneDNN.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "post-ops")

        var operation = dnnl_matmul_desc_t()
        let initialised = biasArgument
            ? dnnl_matmul_desc_init(&operation, &source, &weights, &bias, &destination)
            : dnnl_matmul_desc_init(&operation, &source, &weights, nil, &destination)
        try OneDNN.check(initialised, "matmul \(d.m)x\(d.k)x\(d.n)")
        var pd: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_primitive_desc_create(&pd, &operation, attributes, OneDNN.engine, nil),
                         "matmul \(d.m)x\(d.k)x\(d.n) \(d.source)·\(d.weightsType)→\(d.destination)")
        defer { dnnl_primitive_desc_destroy(pd) }
        self.source = source
        self.weights = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0).pointee
        self.bias = bias
        self.scales = scales
        self.destination = destination
        scratchpadDescriptor = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0).pointee
        scratchpadBytes = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0))
        (primitive, implementation) = try OneDNN.primitive(pd, "matmul primitive")
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// C (+)= A · B on the caller's buffers; `scales` (`perElement`: m × n, row-major) and a
    /// post-op `bias` as described.
    func run(source a: UnsafeRawPointer, weights b: UnsafeRawPointer, bias: UnsafePointer<Float>?,
             destination c: UnsafeMutableRawPointer, scales: UnsafePointer<Float>? = nil,
             stream: OneDNN.Stream, scratchpad: Scratchpad) {
        var arguments = [OneDNN.Argument(kind: DNNL_ARG_SRC, descriptor: source, pointer: a),
                         OneDNN.Argument(kind: DNNL_ARG_WEIGHTS, descriptor: weights, pointer: b),
                         OneDNN.Argument(kind: DNNL_ARG_DST, descriptor: destination, pointer: c)]
        if let scales {
            // Binary post-ops 0 and 1 (DNNL_ARG_ATTR_MULTIPLE_POST_OP(index), a C macro).
            arguments.append(OneDNN.Argument(kind: DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1,
                                             descriptor: self.scales, pointer: scales))
            if let bias {
                arguments.append(OneDNN.Argument(kind: DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE * 2 | DNNL_ARG_SRC_1,
                                                 descriptor: self.bias, pointer: bias))
            }
        } else if let bias {
            arguments.append(OneDNN.Argument(kind: DNNL_ARG_BIAS, descriptor: self.bias, pointer: bias))
        }
        if scratchpadBytes > 0 {
            arguments.append(OneDNN.Argument(kind: DNNL_ARG_SCRATCHPAD, descriptor: scratchpadDescriptor,
                                             pointer: scratchpad.pointer(bytes: scratchpadBytes)))
        }
        OneDNN.execute(primitive, arguments, on: stream, "matmul")
    }
}
