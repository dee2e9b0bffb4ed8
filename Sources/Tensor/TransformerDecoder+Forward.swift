// The decoder's forward pass: a source and a target image's patch tokens decoded jointly,
// each stream cross-attending to the other's tokens at every layer.

extension TransformerDecoder {
    /// Decodes the patch tokens of a pair, `source` [Ns, C] and `target` [Nt, C] (or either as
    /// [gh, gw, C]), and returns both in their input shapes. Products split their output
    /// columns between up to `workers` threads (default: OpenBLAS's count).
    ///
    /// The paper passes each image's features "through their respective decoders" with
    /// cross-attention to the other image. Here both streams go through the same layers, and
    /// each layer updates both from the previous layer's outputs:
    /// s' = layer(s, memory: t), t' = layer(t, memory: s); so the memory a stream attends to
    /// at layer N is the other stream as it entered layer N, and the result does not depend
    /// on which stream is updated first.
    public func forward(source: Tensor, target: Tensor,
                        workers: Int? = nil) throws(ModelError) -> (source: Tensor, target: Tensor) {
        let sourceTokens = try tokens(of: source)
        let targetTokens = try tokens(of: target)
        let workers = max(1, min(workers ?? BLASThreads.configured, max(sourceTokens, targetTokens)))
        let workspace = workspaces.take(Workspace.Sizes(
            width: width, feedForward: config.feedForward, sourceTokens: sourceTokens,
            targetTokens: targetTokens, workers: workers))
        defer { workspaces.give(workspace) }
        let (s, t) = (workspace.source, workspace.target)
        source.storage.withUnsafeBufferPointer { s.x.update(from: $0.baseAddress!, count: $0.count) }
        target.storage.withUnsafeBufferPointer { t.x.update(from: $0.baseAddress!, count: $0.count) }
        try BLASThreads.singleThreaded { () throws(ModelError) in
            for layer in layers {
                // Both memories' keys and values before either stream changes.
                for stream in [s, t] {
                    Parallel.run(workers: workers) { worker in
                        layer.multiheadAttn.inProj.apply(features: width..<(3 * width), to: stream.x,
                                                         rows: stream.tokens, into: stream.keyValue,
                                                         accumulate: false, share: worker, of: workers)
                    }
                }
                try decode(s, memory: t, layer, workspace)
                try decode(t, memory: s, layer, workspace)
            }
        }
        return (Tensor(shape: source.shape) { $0.baseAddress!.update(from: s.x, count: $0.count) },
                Tensor(shape: target.shape) { $0.baseAddress!.update(from: t.x, count: $0.count) })
    }

    /// Tokens of an input [N, C] or [gh, gw, C].
    private func tokens(of input: Tensor) throws(ModelError) -> Int {
        guard input.rank == 2 || input.rank == 3, input.shape.last == width, input.shape.allSatisfy({ $0 > 0 }) else {
            throw .inputShape(expected: "[tokens, \(width)] or [gh, gw, \(width)], not empty", actual: input.shape)
        }
        return input.count / width
    }

    /// x = norm1(x + SA(x, x, x)); x = norm2(x + MHA(x, mem, mem)); x = norm3(x + FF(x)), the
    /// memory's keys and values already projected. Each residual update is one GEMM
    /// accumulating into the stream, normalised in place once all its columns are written.
    private func decode(_ x: Workspace.Stream, memory: Workspace.Stream, _ layer: Layer, _ w: Workspace) throws(ModelError) {
        let (n, c, f) = (x.tokens, width, config.feedForward)
        let workers = w.sizes.workers
        Parallel.run(workers: workers) { worker in
            layer.selfAttn.inProj.apply(to: x.x, rows: n, into: x.qkv, accumulate: false, share: worker, of: workers)
        }
        try Attention.run(qkv: x.qkv, tokens: n, width: c, heads: config.heads, types: .fp32, workers: w.engines,
                          scratch: w.scratch.pointer, into: x.attended)
        residual(layer.selfAttn.outProj, x.attended, into: x, norm: layer.norm1, workers: workers)

        // The queries [n, C] go where the fused QKV was: it is spent.
        Parallel.run(workers: workers) { worker in
            layer.multiheadAttn.inProj.apply(features: 0..<c, to: x.x, rows: n, into: x.qkv,
                                             accumulate: false, share: worker, of: workers)
        }
        try Attention.run(query: x.qkv, queryStride: c, queries: n,
                          key: memory.keyValue, value: memory.keyValue + c, keyValueStride: 2 * c,
                          keys: memory.tokens, width: c, heads: config.heads, types: .fp32, workers: w.engines,
                          scratch: w.scratch.pointer, into: x.attended)
        residual(layer.multiheadAttn.outProj, x.attended, into: x, norm: layer.norm2, workers: workers)

        Parallel.run(workers: workers) { worker in
            let columns = layer.linear1.apply(to: x.x, rows: n, into: x.hidden, accumulate: false,
                                              share: worker, of: workers)
            for row in 0..<n { activate(x.hidden + row * f + columns.lowerBound, count: columns.count) }
        }
        residual(layer.linear2, x.hidden, into: x, norm: layer.norm3, workers: workers)
    }

    /// x = norm(x + input · Wᵀ + b): the product by output columns, the norm by rows.
    private func residual(_ linear: Linear, _ input: UnsafePointer<Float>, into x: Workspace.Stream,
                          norm: LayerNorm, workers: Int) {
        let input = UnsafeSendable(input)
        Parallel.run(workers: workers) { worker in
            linear.apply(to: input.pointer, rows: x.tokens, into: x.x, accumulate: true, share: worker, of: workers)
        }
        Parallel.run(workers: workers) { worker in
            let rows = Parallel.share(of: x.tokens, worker: worker, workers: workers)
            if rows.isEmpty { return }
            let stream = x.x + rows.lowerBound * width
            norm.apply(stream, rows: rows.count, eps: config.layerNormEps, into: stream)
        }
    }

    private func activate(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch config.activation {
        case .relu: for j in 0..<count { x[j] = max(x[j], 0) }
        case .gelu: Kernels.gelu(x, count: count)
        }
    }

    /// A read-only buffer handed to the workers of one product.
    private struct UnsafeSendable: @unchecked Sendable {
        let pointer: UnsafePointer<Float>
        init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
    }

    /// Buffers of one forward, carved from one allocation and reused by every layer. Workers
    /// share it but write disjoint columns or rows, hence the unchecked Sendable.
    final class Workspace: ReusableWorkspace, @unchecked Sendable {
        struct Sizes: Equatable, Sendable {
            let width: Int, feedForward: Int, sourceTokens: Int, targetTokens: Int, workers: Int
        }

        /// One stream's buffers, all row-major with `tokens` rows.
        struct Stream: @unchecked Sendable {
            let tokens: Int
            /// [tokens, C]: the stream, updated in place layer by layer.
            let x: UnsafeMutablePointer<Float>
            /// [tokens, 3C]: the self-attention's fused QKV, then the cross-attention's queries.
            let qkv: UnsafeMutablePointer<Float>
            /// [tokens, 2C]: this stream's keys and values as the other stream's memory.
            let keyValue: UnsafeMutablePointer<Float>
            let attended: UnsafeMutablePointer<Float>
            let hidden: UnsafeMutablePointer<Float>
        }

        let sizes: Sizes
        let source: Stream, target: Stream
        let scratch: AlignedBuffer
        let engines: [OneDNN.Worker]
        private let storage: UnsafeMutablePointer<Float>

        init(_ sizes: Sizes) {
            self.sizes = sizes
            let (c, f) = (sizes.width, sizes.feedForward)
            let (ns, nt) = (sizes.sourceTokens, sizes.targetTokens)
            let perToken = c + 3 * c + 2 * c + c + f
            scratch = AlignedBuffer(bytes: [(ns, ns), (nt, nt), (ns, nt), (nt, ns)]
                .map { Attention.scratchBytes(queries: $0.0, keys: $0.1, width: c, workers: sizes.workers) }.max()!)
            engines = OneDNN.Worker.make(sizes.workers)
            storage = .allocate(capacity: (ns + nt) * perToken)
            func stream(_ tokens: Int, at base: UnsafeMutablePointer<Float>) -> Stream {
                Stream(tokens: tokens, x: base, qkv: base + tokens * c, keyValue: base + tokens * 4 * c,
                       attended: base + tokens * 6 * c, hidden: base + tokens * 7 * c)
            }
            source = stream(ns, at: storage)
            target = stream(nt, at: storage + ns * perToken)
        }

        deinit { storage.deallocate() }
    }
}
