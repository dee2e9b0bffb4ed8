// The engine's ops on whole tensors, with shape checks: what tests and callers outside the
// backbone use. The backbone itself calls the buffer kernels directly to avoid copies.

public enum Ops {
    /// a [m, k] · b [k, n] (or b [n, k] with `transposeB`) → [m, n].
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) throws(TensorError) -> Tensor {
        guard a.rank == 2 else { throw .shapeMismatch(operation: "matmul", expected: "a of rank 2", actual: a.shape) }
        let (m, k) = (a.shape[0], a.shape[1])
        let expected = transposeB ? "b [n, \(k)]" : "b [\(k), n]"
        guard b.rank == 2, (transposeB ? b.shape[1] : b.shape[0]) == k else {
            throw .shapeMismatch(operation: "matmul", expected: expected, actual: b.shape)
        }
        let n = transposeB ? b.shape[0] : b.shape[1]
        if m == 0 || n == 0 || k == 0 { return Tensor(zeros: [m, n]) }
        return Tensor(shape: [m, n]) { c in
            a.storage.withUnsafeBufferPointer { a in
                b.storage.withUnsafeBufferPointer { b in
                    GEMM.multiply(m: m, n: n, k: k, a: a.baseAddress!, lda: k,
                                  b: b.baseAddress!, ldb: transposeB ? k : n,
                                  transposeB: transposeB, beta: 0, c: c.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// x [rows, in] · weightᵀ + bias, weight [out, in] (PyTorch's Linear layout).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws(TensorError) -> Tensor {
        let (rows, inFeatures) = x.matrixShape
        guard weight.rank == 2, weight.shape[1] == inFeatures else {
            throw .shapeMismatch(operation: "linear", expected: "weight [out, \(inFeatures)]", actual: weight.shape)
        }
        let outFeatures = weight.shape[0]
        if let bias, bias.shape != [outFeatures] {
            throw .shapeMismatch(operation: "linear", expected: "bias [\(outFeatures)]", actual: bias.shape)
        }
        let zeros = [Float](repeating: 0, count: outFeatures)
        let shape = Array(x.shape.dropLast()) + [outFeatures]
        if rows == 0 || inFeatures == 0 || outFeatures == 0 {
            var y = Tensor(zeros: shape)
            for row in 0..<rows { for j in 0..<outFeatures { y.storage[row * outFeatures + j] = bias?.storage[j] ?? 0 } }
            return y
        }
        return Tensor(shape: shape) { y in
            x.storage.withUnsafeBufferPointer { x in
                weight.storage.withUnsafeBufferPointer { w in
                    (bias?.storage ?? zeros).withUnsafeBufferPointer { b in
                        GEMM.linear(x.baseAddress!, rows: rows, inFeatures: inFeatures,
                                    weight: w.baseAddress!, bias: b.baseAddress!,
                                    outFeatures: outFeatures, into: y.baseAddress!)
                    }
                }
            }
        }
    }

    /// LayerNorm over the last axis.
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) throws(TensorError) -> Tensor {
        let (rows, columns) = x.matrixShape
        for (name, parameter) in [("weight", weight), ("bias", bias)] where parameter.shape != [columns] {
            throw .shapeMismatch(operation: "layerNorm", expected: "\(name) [\(columns)]", actual: parameter.shape)
        }
        if x.count == 0 { return x }
        return Tensor(shape: x.shape) { y in
            x.storage.withUnsafeBufferPointer { x in
                weight.storage.withUnsafeBufferPointer { w in
                    bias.storage.withUnsafeBufferPointer { b in
                        Kernels.layerNorm(x.baseAddress!, rows: rows, columns: columns,
                                          weight: w.baseAddress!, bias: b.baseAddress!, eps: eps,
                                          into: y.baseAddress!)
                    }
                }
            }
        }
    }

    /// GELU, erf form.
    public static func gelu(_ x: Tensor) -> Tensor {
        if x.count == 0 { return x }
        var y = x
        let count = y.count
        y.storage.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: count) }
        return y
    }

    /// Softmax over the last axis.
    public static func softmax(_ x: Tensor) -> Tensor {
        if x.count == 0 { return x }
        var y = x
        let (rows, columns) = x.matrixShape
        y.storage.withUnsafeMutableBufferPointer {
            Kernels.softmaxRows($0.baseAddress!, rows: rows, columns: columns)
        }
        return y
    }

    /// a + b · scale, with `scale` per channel of the last axis (nil: 1).
    public static func add(_ a: Tensor, _ b: Tensor, scale: Tensor? = nil) throws(TensorError) -> Tensor {
        guard a.shape == b.shape else {
            throw .shapeMismatch(operation: "add", expected: "b \(a.shape)", actual: b.shape)
        }
        let (rows, columns) = a.matrixShape
        if let scale, scale.shape != [columns] {
            throw .shapeMismatch(operation: "add", expected: "scale [\(columns)]", actual: scale.shape)
        }
        if a.count == 0 { return a }
        var y = a
        y.storage.withUnsafeMutableBufferPointer { y in
            b.storage.withUnsafeBufferPointer { b in
                if let scale {
                    scale.storage.withUnsafeBufferPointer { s in
                        Kernels.addScaled(b.baseAddress!, scale: s.baseAddress!, rows: rows,
                                          columns: columns, into: y.baseAddress!)
                    }
                } else {
                    Kernels.addScaled(b.baseAddress!, scale: nil, rows: rows, columns: columns,
                                      into: y.baseAddress!)
                }
            }
        }
        return y
    }

    /// Multi-head attention from fused qkv [tokens, 3·width] → [tokens, width].
    public static func attention(qkv: Tensor, heads: Int, workers: Int = 1) throws(TensorError) -> Tensor {
        guard qkv.rank == 2, qkv.shape[1] % 3 == 0, heads > 0, (qkv.shape[1] / 3) % heads == 0 else {
            throw .shapeMismatch(operation: "attention", expected: "[tokens, 3·width], width divisible by \(heads) heads", actual: qkv.shape)
        }
        let (tokens, width) = (qkv.shape[0], qkv.shape[1] / 3)
        if tokens == 0 || width == 0 { return Tensor(zeros: [tokens, width]) }
        let engines = OneDNN.Worker.make(max(1, workers))
        let scratch = AlignedBuffer(bytes: Attention.scratchBytes(queries: tokens, keys: tokens, width: width,
                                                                    workers: engines.count))
        var out = Tensor(zeros: [tokens, width])
        do {
            try qkv.storage.withUnsafeBufferPointer { (qkv) throws(ModelError) in
                try out.storage.withUnsafeMutableBufferPointer { (out) throws(ModelError) in
                    try Attention.run(qkv: qkv.baseAddress!, tokens: tokens, width: width, heads: heads, types: .fp32,
                                      workers: engines, scratch: scratch.pointer, into: out.baseAddress!)
                }
            }
        } catch {
            throw .engine(error.description)
        }
        return out
    }

    /// image [channels, H, W] through a stride-p convolution with weight [out, channels, p, p]
    /// → [(H/p)·(W/p), out].
    public static func patchEmbedding(_ image: Tensor, weight: Tensor, bias: Tensor) throws(TensorError) -> Tensor {
        guard weight.rank == 4, weight.shape[2] == weight.shape[3], image.rank == 3,
              image.shape[0] == weight.shape[1] else {
            throw .shapeMismatch(operation: "patchEmbedding", expected: "weight [out, \(image.shape.first ?? 0), p, p]", actual: weight.shape)
        }
        let (channels, height, width, patch) = (image.shape[0], image.shape[1], image.shape[2], weight.shape[2])
        guard patch > 0, height > 0, width > 0, height % patch == 0, width % patch == 0 else {
            throw .shapeMismatch(operation: "patchEmbedding", expected: "image sides multiples of \(patch)", actual: image.shape)
        }
        let rowLength = channels * patch * patch
        let patches = Tensor(shape: [(height / patch) * (width / patch), rowLength]) { rows in
            image.storage.withUnsafeBufferPointer { image in
                PatchEmbedding.gather(image.baseAddress!, channels: channels, height: height,
                                      width: width, patch: patch, into: rows.baseAddress!)
            }
        }
        return try linear(patches, weight: weight.reshaped([weight.shape[0], rowLength]), bias: bias)
    }

    /// grid [h, w, C] resampled bicubically to [height, width, C].
    public static func bicubicResize(_ grid: Tensor, height: Int, width: Int) throws(TensorError) -> Tensor {
        guard grid.rank == 3, grid.shape[0] > 0, grid.shape[1] > 0, grid.shape[2] > 0, height > 0, width > 0 else {
            throw .shapeMismatch(operation: "bicubicResize", expected: "a non-empty [h, w, C] grid and positive sizes", actual: grid.shape)
        }
        return Tensor(shape: [height, width, grid.shape[2]]) { out in
            grid.storage.withUnsafeBufferPointer { source in
                Bicubic.resize(source.baseAddress!, inHeight: grid.shape[0], inWidth: grid.shape[1],
                               channels: grid.shape[2], outHeight: height, outWidth: width,
                               into: out.baseAddress!)
            }
        }
    }
}
