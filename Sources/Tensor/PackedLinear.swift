// A Linear layer as the backbone runs it: its weights converted once at load to the
// precision's type (bf16, or int8 with one symmetric scale per output channel, 7 bits without
// VNNI) and reordered into oneDNN's layout, its bias and what follows it fused into the product.

final class PackedLinear: Sendable {
    let outFeatures: Int
    let inFeatures: Int
    /// fp32, bf16 or int8: the operands' type (never auto).
    let precision: Precision
    let fusion: Matmul.Fusion
    /// The product's description, every row count's (`primitive(rows:)`) but its rows. Its
    /// fusion is `fusion`, or `store` where oneDNN would run the residual add only in its
    /// reference code (int8 below AVX-512: the gemm-based kernels take no sum after the
    /// scales, and `ref_int8` is ~300× slower); `apply` then adds it.
    private let template: Matmul
    private let weights: AlignedBuffer
    private let bias: [Float]
    /// int8: each output channel's max |w| / 127 (/ 63 without VNNI); empty otherwise.
    private let weightScales: [Float]

    /// The source's operand type at a precision.
    static func operand(_ precision: Precision) -> Matmul.DataType {
        switch precision {
        case .int8: .s8
        case .bf16: .bf16
        case .fp32, .auto: .f32
        }
    }

    init(_ linear: DINOv2.Linear, precision: Precision, output: Matmul.DataType,
         fusion: Matmul.Fusion) throws(ModelError) {
        (outFeatures, inFeatures) = (linear.outFeatures, linear.inFeatures)
        self.precision = precision
        self.fusion = fusion
        bias = linear.bias
        let (n, k) = (linear.outFeatures, linear.inFeatures)
        // PyTorch's [out, in] is B [k×n] read with strides (1, k).
        let type = Self.operand(precision)
        let plain = try OneDNN.descriptor([k, n], type.dnnl, strides: [1, k])
        var scales: [Float] = []
        var packed = Matmul(m: Matmul.layoutRows, n: n, k: k, source: type, sourceStride: k,
                            weightsType: type, weights: .packed, destination: output, destinationStride: n,
                            bias: true, fusion: fusion, scale: precision == .int8 ? .perElement : .none)
        var chooser = try packed.layoutPrimitive()
        if fusion == .accumulate, chooser.implementation.hasPrefix("ref") {
            packed.fusion = .store
            chooser = try packed.layoutPrimitive()
        }
        template = packed
        let layout = chooser.weights
        switch precision {
        case .fp32, .auto:
            weights = try OneDNN.reorder(linear.weight, from: plain, to: layout)
        case .bf16:
            var converted = [UInt16](repeating: 0, count: n * k)
            linear.weight.withUnsafeBufferPointer { Quantize.bfloat16($0.baseAddress!, count: n * k, into: &converted) }
            weights = try OneDNN.reorder(converted, from: plain, to: layout)
        case .int8:
            var quantized = [Int8](repeating: 0, count: n * k)
            let steps = Quantize.weightSteps
            linear.weight.withUnsafeBufferPointer { w in
                quantized.withUnsafeMutableBufferPointer { q in
                    for row in 0..<n {
                        let source = w.baseAddress! + row * k
                        let scale = Quantize.scale(maximum: Quantize.maximumMagnitude(source, count: k), steps: steps)
                        Quantize.int8(source, count: k, scale: scale, into: q.baseAddress! + row * k)
                        scales.append(scale)
                    }
                }
            }
            weights = try OneDNN.reorder(quantized, from: plain, to: layout)
        }
        weightScales = scales
    }

    /// The product of `rows` rows of x (row stride `inFeatures`, the precision's operand type)
    /// into y (row stride `outFeatures`, `output`), made once for every later call.
    func primitive(rows: Int) throws(ModelError) -> MatmulPrimitive {
        var description = template
        description.m = rows
        return try description.primitive()
    }

    /// y (+)= x · Wᵀ + b, then the fusion, on `product`'s rows (one of this layer's
    /// `primitive(rows:)`); x and y point at the first row; int8: row i of x quantized with
    /// `rowScales[i]` (`Quantize.int8Rows`).
    func apply(_ product: MatmulPrimitive, _ x: UnsafeRawPointer, into y: UnsafeMutableRawPointer,
               rowScales: UnsafePointer<Float>? = nil, on worker: OneDNN.Worker) {
        if template.fusion != fusion {
            // The residual add left out of the product: y is float32.
            let count = product.description.m * outFeatures
            let stored = worker.unfused.pointer(bytes: 4 * count)
            run(product, x, into: stored, rowScales: rowScales, on: worker)
            Kernels.addScaled(stored.assumingMemoryBound(to: Float.self), scale: nil, rows: 1, columns: count,
                              into: y.assumingMemoryBound(to: Float.self))
        } else {
            run(product, x, into: y, rowScales: rowScales, on: worker)
        }
    }

    private func run(_ product: MatmulPrimitive, _ x: UnsafeRawPointer, into y: UnsafeMutableRawPointer,
                     rowScales: UnsafePointer<Float>?, on worker: OneDNN.Worker) {
        bias.withUnsafeBufferPointer { bias in
            if precision == .int8 {
                precondition(rowScales != nil, "an int8 product needs its rows' scales")
                let rows = product.description.m
                let grid = worker.scaleGrid.pointer(bytes: 4 * rows * outFeatures).assumingMemoryBound(to: Float.self)
                weightScales.withUnsafeBufferPointer { columns in
                    for i in 0..<rows {
                        Kernels.scale(columns.baseAddress!, by: rowScales![i], count: outFeatures, into: grid + i * outFeatures)
                    }
                }
                product.run(source: x, weights: weights.pointer, bias: bias.baseAddress!, destination: y,
                            scales: grid, stream: worker.stream, scratchpad: worker.scratchpad)
            } else {
                product.run(source: x, weights: weights.pointer, bias: bias.baseAddress!, destination: y,
                            stream: worker.stream, scratchpad: worker.scratchpad)
            }
        }
    }
}
