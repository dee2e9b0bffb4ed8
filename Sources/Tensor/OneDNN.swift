// oneDNN as the engine uses it: one CPU engine, the ISA it dispatches to, and matmul
// primitives on caller-owned buffers, each created once per shape and reused. Every call
// runs on the calling thread alone (the engine's workers split the work, as they split
// everything else): no OpenMP team spins beside them or beside OpenBLAS's threads.
import CDNNL
import Synchronization

enum OneDNN {
    /// The one CPU engine; oneDNN engines are thread-safe.
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        precondition(dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success && engine != nil,
                     "oneDNN has no CPU engine")
        singleThreaded()
        return engine!
    }()

    /// The newest instruction set oneDNN may use on this CPU.
    static var isa: dnnl_cpu_isa_t { dnnl_get_effective_cpu_isa() }

    /// Whether bf16 products run on bf16 instructions (AVX-512 BF16 or AMX), not emulated.
    static var nativeBF16: Bool {
        isa.rawValue & dnnl_cpu_isa_avx512_core_bf16.rawValue == dnnl_cpu_isa_avx512_core_bf16.rawValue
    }

    /// Whether int8 products run on VNNI instructions (AVX-512 VNNI, AVX-VNNI). Without them
    /// oneDNN multiplies u8 × s8 pairs with `vpmaddubsw`, whose int16 sum of two products
    /// saturates unless |weight| ≤ 63 (oneDNN's "nuances of int8 computations").
    static var vnni: Bool {
        isa.rawValue & dnnl_cpu_isa_avx512_core_vnni.rawValue == dnnl_cpu_isa_avx512_core_vnni.rawValue
            || isa.rawValue & dnnl_cpu_isa_avx2_vnni.rawValue == dnnl_cpu_isa_avx2_vnni.rawValue
    }

    /// oneDNN's parallel regions on the calling thread run on it alone (an OpenMP setting
    /// per thread, so every worker sets it before its first call).
    static func singleThreaded() {
        if omp_get_max_threads() != 1 { omp_set_num_threads(1) }
    }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws(ModelError) {
        if status != dnnl_success { throw .engine("oneDNN \(what()): status \(status.rawValue)") }
    }

    /// A row-major or strided descriptor of `dims` (outermost first), `strides` in elements.
    static func descriptor(_ dims: [Int], _ type: dnnl_data_type_t, strides: [Int]? = nil) throws(ModelError) -> dnnl_memory_desc_t {
        var desc = dnnl_memory_desc_t()
        let dims64 = dims.map(Int64.init)
        var strides64 = (strides ?? dims.indices.map { dims[($0 + 1)...].reduce(1, *) }).map(Int64.init)
        try check(dnnl_memory_desc_init_by_strides(&desc, Int32(dims.count), dims64, type, &strides64),
                  "memory descriptor \(dims)")
        return desc
    }

    /// The layout oneDNN chooses (format_tag any) for `dims`.
    static func anyDescriptor(_ dims: [Int], _ type: dnnl_data_type_t) throws(ModelError) -> dnnl_memory_desc_t {
        var desc = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), dims.map(Int64.init), type, dnnl_format_tag_any),
                  "memory descriptor \(dims)")
        return desc
    }

    /// Copies `values` (described by `from`) into a new buffer of layout `to`: weights into
    /// the layout a primitive prefers, once at load.
    static func reorder<Element>(_ values: [Element], from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) throws(ModelError) -> AlignedBuffer {
        try values.withUnsafeBytes { raw in
            Result { () throws(ModelError) in try reorder(raw.baseAddress!, from: from, to: to) }
        }.get()
    }

    private static func reorder(_ source: UnsafeRawPointer, from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) throws(ModelError) -> AlignedBuffer {
        singleThreaded()
        var from = from, to = to
        let target = AlignedBuffer(bytes: dnnl_memory_desc_get_size(&to))
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, nil), "reorder")
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, pd), "reorder")
        defer { dnnl_primitive_destroy(primitive) }
        let stream = Stream()
        var input: dnnl_memory_t?, output: dnnl_memory_t?
        try check(dnnl_memory_create(&input, &from, engine, UnsafeMutableRawPointer(mutating: source)), "reorder input")
        defer { dnnl_memory_destroy(input) }
        try check(dnnl_memory_create(&output, &to, engine, target.pointer), "reorder output")
        defer { dnnl_memory_destroy(output) }
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: input), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: output)]
        try check(dnnl_primitive_execute(primitive, stream.stream, 2, &args), "reorder")
        try check(dnnl_stream_wait(stream.stream), "reorder")
        return target
    }

    /// The primitive of a primitive descriptor, and oneDNN's name of the implementation it
    /// dispatched to (e.g. "brg:avx512_core_bf16").
    static func primitive(_ pd: dnnl_primitive_desc_t?, _ what: String) throws(ModelError) -> (dnnl_primitive_t, String) {
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name)
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, pd), what)
        return (primitive!, name.map { String(cString: $0) } ?? "unknown")
    }

    /// One buffer of a primitive's run, with the descriptor it is read or written as.
    struct Argument {
        let kind: Int32
        let descriptor: dnnl_memory_desc_t
        let pointer: UnsafeRawPointer
    }

    /// Runs `primitive` on the calling thread alone, each argument's buffer wrapped for the
    /// call; a failure is a programming error (the descriptors were checked at creation).
    static func execute(_ primitive: dnnl_primitive_t, _ arguments: [Argument], on stream: Stream, _ what: String) {
        var memories: [dnnl_memory_t?] = []
        memories.reserveCapacity(arguments.count)
        var args: [dnnl_exec_arg_t] = []
        args.reserveCapacity(arguments.count)
        for argument in arguments {
            var descriptor = argument.descriptor
            var memory: dnnl_memory_t?
            let status = dnnl_memory_create(&memory, &descriptor, engine, UnsafeMutableRawPointer(mutating: argument.pointer))
            precondition(status == dnnl_success, "oneDNN could not wrap a buffer: status \(status.rawValue)")
            memories.append(memory)
            args.append(dnnl_exec_arg_t(arg: argument.kind, memory: memory))
        }
        singleThreaded()
        let status = dnnl_primitive_execute(primitive, stream.stream, Int32(args.count), &args)
        precondition(status == dnnl_success, "oneDNN \(what) failed: status \(status.rawValue)")
        for memory in memories { dnnl_memory_destroy(memory) }
    }

    /// A stream: what a primitive executes on (one per worker, never shared between threads).
    final class Stream: @unchecked Sendable {
        let stream: dnnl_stream_t
        init() {
            var stream: dnnl_stream_t?
            let status = dnnl_stream_create(&stream, OneDNN.engine, UInt32(dnnl_stream_default_flags.rawValue))
            precondition(status == dnnl_success && stream != nil, "oneDNN could not create a stream: status \(status.rawValue)")
            self.stream = stream!
        }
        deinit { dnnl_stream_destroy(stream) }
    }

    /// What one worker of a forward runs its products with: its stream, scratchpad, the grid
    /// of an int8 product's per-element scales and the output of a product whose residual
    /// add is not fused (`PackedLinear`).
    final class Worker: @unchecked Sendable {
        let stream = Stream()
        let scratchpad = Scratchpad()
        let scaleGrid = Scratchpad()
        let unfused = Scratchpad()

        static func make(_ count: Int) -> [Worker] { (0..<count).map { _ in Worker() } }
    }
}

/// Memory aligned for the widest vector loads, owned by its object.
final class AlignedBuffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let bytes: Int
    init(bytes: Int) {
        self.bytes = bytes
        pointer = .allocate(byteCount: max(bytes, 64), alignment: 64)
    }
    deinit { pointer.deallocate() }
}

/// A worker's scratchpad for oneDNN's temporary buffers, grown to the largest a primitive
/// asks for (user scratchpads let concurrent forwards run the same primitive).
final class Scratchpad: @unchecked Sendable {
    private(set) var buffer = AlignedBuffer(bytes: 0)
    func pointer(bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > buffer.bytes { buffer = AlignedBuffer(bytes: bytes) }
        return buffer.pointer
    }
}

/// Primitives kept for the process, one per key, made on first use outside the lock (making
/// one may need another: a packed matmul first asks for its weights' layout); a racing
/// thread's equal primitive is dropped for the first one kept.
final class PrimitiveCache<Key: Hashable & Sendable, Value: AnyObject & Sendable>: Sendable {
    private let kept = Mutex<[Key: Value]>([:])

    /// Every primitive kept so far, with its key.
    var entries: [(key: Key, value: Value)] { kept.withLock { $0.map { ($0.key, $0.value) } } }

    func value(_ key: Key, make: () throws(ModelError) -> Value) throws(ModelError) -> Value {
        if let value = kept.withLock({ $0[key] }) { return value }
        let made = try make()
        return kept.withLock { kept in
            if let value = kept[key] { return value }
            kept[key] = made
            return made
        }
    }
}
