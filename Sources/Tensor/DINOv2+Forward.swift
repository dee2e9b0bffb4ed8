// The backbone's forward pass: patch embedding, class/register tokens and interpolated
// position embeddings, pre-norm encoder blocks, and the patch tokens of the chosen layers.

extension DINOv2 {
    /// Runs the backbone on `input` [3, H, W] (normalised, sides multiples of the patch size)
    /// and returns the patch tokens [H/p, W/p, C] after each requested layer.
    /// Rows of the products and heads of the attention are split between up to `workers`
    /// threads (default: OpenBLAS's count), each running oneDNN on itself alone.
    public func forward(_ input: Tensor, layers requested: Set<BackboneLayer>,
                        workers: Int? = nil) throws(ModelError) -> [BackboneLayer: Tensor] {
        let p = config.patchSize
        guard input.rank == 3, input.shape[0] == 3, input.shape[1] > 0, input.shape[2] > 0,
              input.shape[1] % p == 0, input.shape[2] % p == 0 else {
            throw .inputShape(expected: "[3, H, W] with H and W positive multiples of \(p)", actual: input.shape)
        }
        var lastBlock = requested.contains(.final) ? config.numHiddenLayers - 1 : -1
        for case .block(let index) in requested {
            guard index < config.numHiddenLayers else {
                throw .layerOutOfRange(index, depth: config.numHiddenLayers)
            }
            lastBlock = max(lastBlock, index)
        }
        let geometry = Geometry(config: config, height: input.shape[1], width: input.shape[2])
        let workers = max(1, min(workers ?? BLASThreads.configured, geometry.patches))
        let products = try Products(self, geometry, workers: workers)
        let workspace = workspaces.take(Workspace.Sizes(geometry: geometry, workers: workers))
        defer { workspaces.give(workspace) }
        // Every product is oneDNN's: OpenBLAS's process-wide thread count is left alone (held
        // at one during a forward, it ran other threads' cost volumes on one thread, with
        // other float sums: a pair's answer depended on what else was running).
        return try run(input, geometry, workspace, products, requested: requested, lastBlock: lastBlock)
    }

    private func run(_ input: Tensor, _ geometry: Geometry, _ workspace: Workspace, _ products: Products,
                     requested: Set<BackboneLayer>, lastBlock: Int) throws(ModelError) -> [BackboneLayer: Tensor] {
        input.storage.withUnsafeBufferPointer { embed($0.baseAddress!, geometry, products, into: workspace) }
        var outputs: [BackboneLayer: Tensor] = [:]
        if lastBlock >= 0 {
            for index in 0...lastBlock {
                try block(layers[index], geometry, products, workspace)
                if requested.contains(.block(index)) {
                    outputs[.block(index)] = patchTokens(workspace.stream, geometry, normalised: nil)
                }
            }
        }
        if requested.contains(.final) {
            outputs[.final] = patchTokens(workspace.stream, geometry, normalised: layernorm)
        }
        return outputs
    }

    /// Each worker's rows of the tokens (and of the patches) and the primitives of its row
    /// count, shared by every layer: made (or found) once per forward, before the workers start.
    struct Products: @unchecked Sendable {
        struct Share {
            let rows: Range<Int>, patches: Range<Int>
            let embedding, queryKeyValue, outputDense, fc1, fc2: MatmulPrimitive
        }
        let shares: [Share]
        let types: Types

        init(_ model: DINOv2, _ g: Geometry, workers: Int) throws(ModelError) {
            let layer = model.layers[0]
            var shares: [Share] = []
            for worker in 0..<workers {
                let rows = Parallel.share(of: g.tokens, worker: worker, workers: workers)
                let patches = Parallel.share(of: g.patches, worker: worker, workers: workers)
                shares.append(Share(rows: rows, patches: patches,
                                    embedding: try model.embeddings.patchProjection.primitive(rows: patches.count),
                                    queryKeyValue: try layer.queryKeyValue.primitive(rows: rows.count),
                                    outputDense: try layer.outputDense.primitive(rows: rows.count),
                                    fc1: try layer.fc1.primitive(rows: rows.count),
                                    fc2: try layer.fc2.primitive(rows: rows.count)))
            }
            self.shares = shares
            types = Types(model.precision)
        }
    }

    /// Token counts of one input size.
    struct Geometry: Sendable {
        let gridHeight: Int, gridWidth: Int
        let patches: Int, prefix: Int, tokens: Int
        let width: Int, mlpWidth: Int, heads: Int
        /// Pixels of one patch, the patch projection's input features.
        let patchLength: Int
        var widestRow: Int { max(width, mlpWidth) }

        init(config: ViTConfig, height: Int, width: Int) {
            gridHeight = height / config.patchSize
            gridWidth = width / config.patchSize
            patches = gridHeight * gridWidth
            prefix = 1 + config.numRegisterTokens
            tokens = prefix + patches
            self.width = config.hiddenSize
            mlpWidth = config.mlpHiddenSize
            heads = config.numAttentionHeads
            patchLength = 3 * config.patchSize * config.patchSize
        }
    }

    /// Buffers of one forward, allocated once and reused by every block, sized for any
    /// precision (4 bytes an element). Workers share it but write disjoint rows (or heads'
    /// columns), hence the unchecked Sendable.
    final class Workspace: ReusableWorkspace, @unchecked Sendable {
        /// The buffers depend on the token count and the workers (the widths are the model's).
        struct Sizes: Equatable, Sendable {
            let geometry: Geometry
            let workers: Int
            static func == (a: Sizes, b: Sizes) -> Bool {
                a.geometry.tokens == b.geometry.tokens && a.geometry.patches == b.geometry.patches
                    && a.workers == b.workers
            }
        }

        let sizes: Sizes
        let stream, patches: UnsafeMutablePointer<Float>
        let normalised, quantized, qkv, attended, hidden, scratch: AlignedBuffer
        /// int8: the scale of each row of `quantized` (one per token).
        let rowScales: UnsafeMutablePointer<Float>
        let engines: [OneDNN.Worker]
        var workers: Int { sizes.workers }

        init(_ sizes: Sizes) {
            self.sizes = sizes
            let (g, workers) = (sizes.geometry, sizes.workers)
            let (t, c, m) = (g.tokens, g.width, g.widestRow)
            stream = .allocate(capacity: t * c)
            patches = .allocate(capacity: g.patches * g.patchLength)
            normalised = AlignedBuffer(bytes: 4 * t * c)
            quantized = AlignedBuffer(bytes: t * m)
            qkv = AlignedBuffer(bytes: 4 * t * 3 * c)
            attended = AlignedBuffer(bytes: 4 * t * c)
            hidden = AlignedBuffer(bytes: 4 * t * m)
            scratch = AlignedBuffer(bytes: Attention.scratchBytes(queries: t, keys: t, width: c, workers: workers))
            rowScales = .allocate(capacity: t)
            engines = OneDNN.Worker.make(workers)
        }

        deinit {
            stream.deallocate()
            patches.deallocate()
            rowScales.deallocate()
        }

        /// Row `row` of a buffer of `columns` elements of `type`.
        func row(_ buffer: AlignedBuffer, _ row: Int, _ columns: Int, _ type: Matmul.DataType) -> UnsafeMutableRawPointer {
            buffer.pointer + row * columns * type.bytes
        }

        /// The worker's rows of a float32 buffer as the precision's operand: bf16 and fp32 as
        /// they are (written so by the producer), int8 quantized row by row into `quantized`,
        /// with the rows' scales.
        func operand(_ buffer: AlignedBuffer, _ rows: Range<Int>, _ columns: Int, _ type: Matmul.DataType)
            -> (UnsafeRawPointer, rowScales: UnsafePointer<Float>?) {
            guard type == .s8 else { return (UnsafeRawPointer(row(buffer, rows.lowerBound, columns, type)), nil) }
            // Each worker's block starts at its first row's slot of the widest row: its rows of
            // one width never overlap another worker's rows of the other width.
            let target = quantized.pointer + rows.lowerBound * sizes.geometry.widestRow
            Quantize.int8Rows(row(buffer, rows.lowerBound, columns, .f32).assumingMemoryBound(to: Float.self),
                              rows: rows.count, columns: columns, scales: rowScales + rows.lowerBound,
                              into: target.assumingMemoryBound(to: Int8.self))
            return (UnsafeRawPointer(target), UnsafePointer(rowScales + rows.lowerBound))
        }
    }

    /// Tokens: [class + pos₀, registers, patches + interpolated pos].
    private func embed(_ image: UnsafePointer<Float>, _ g: Geometry, _ products: Products, into w: Workspace) {
        let c = g.width
        let p = config.patchSize
        let stream = w.stream
        PatchEmbedding.gather(image, channels: 3, height: g.gridHeight * p, width: g.gridWidth * p,
                              patch: p, into: w.patches)
        Parallel.run(workers: w.workers) { worker in
            let share = products.shares[worker]
            embeddings.patchProjection.apply(share.embedding, w.patches + share.patches.lowerBound * g.patchLength,
                                             into: w.stream + (g.prefix + share.patches.lowerBound) * c,
                                             on: w.engines[worker])
        }
        let patchRows = stream + g.prefix * c
        embeddings.positionEmbeddings.withUnsafeBufferPointer { table in
            let position = table.baseAddress!
            for j in 0..<c { stream[j] = embeddings.clsToken[j] + position[j] }
            let grid = config.positionGrid
            if g.gridHeight == grid && g.gridWidth == grid {
                Kernels.addScaled(position + c, scale: nil, rows: g.patches, columns: c, into: patchRows)
            } else {
                let resized = UnsafeMutablePointer<Float>.allocate(capacity: g.patches * c)
                defer { resized.deallocate() }
                Bicubic.resize(position + c, inHeight: grid, inWidth: grid, channels: c,
                               outHeight: g.gridHeight, outWidth: g.gridWidth, into: resized)
                Kernels.addScaled(resized, scale: nil, rows: g.patches, columns: c, into: patchRows)
            }
        }
        embeddings.registerTokens.withUnsafeBufferPointer { registers in
            if let base = registers.baseAddress {
                (stream + c).update(from: base, count: registers.count)
            }
        }
    }

    /// x += attention(norm1(x)); x += mlp(norm2(x)), layer scale folded into the weights.
    /// Each worker takes its rows through the norms and the products (int8: quantized per
    /// row, so no worker waits for another's): only the attention needs every row (its keys
    /// and values), so a block has barriers only around it (and the attention one inside).
    private func block(_ layer: Layer, _ g: Geometry, _ products: Products, _ w: Workspace) throws(ModelError) {
        let (c, m) = (g.width, g.mlpWidth)
        let types = products.types
        let eps = config.layerNormEps
        Parallel.run(workers: w.workers) { worker in
            let share = products.shares[worker]
            layer.norm1.apply(w.stream + share.rows.lowerBound * c, rows: share.rows.count, eps: eps,
                              into: w.row(w.normalised, share.rows.lowerBound, c, types.normalised), as: types.normalised)
            let (input, scales) = w.operand(w.normalised, share.rows, c, types.operand)
            layer.queryKeyValue.apply(share.queryKeyValue, input, into: w.row(w.qkv, share.rows.lowerBound, 3 * c, types.qkv),
                                      rowScales: scales, on: w.engines[worker])
        }
        try Attention.run(qkv: w.qkv.pointer, tokens: g.tokens, width: c, heads: g.heads, types: types.attention,
                          workers: w.engines, scratch: w.scratch.pointer, into: w.attended.pointer)
        Parallel.run(workers: w.workers) { worker in
            let share = products.shares[worker]
            let stream = w.stream + share.rows.lowerBound * c
            let (attended, attendedScales) = w.operand(w.attended, share.rows, c, types.operand)
            layer.outputDense.apply(share.outputDense, attended, into: stream, rowScales: attendedScales, on: w.engines[worker])
            layer.norm2.apply(stream, rows: share.rows.count, eps: eps,
                              into: w.row(w.normalised, share.rows.lowerBound, c, types.normalised), as: types.normalised)
            let (normalised, normalisedScales) = w.operand(w.normalised, share.rows, c, types.operand)
            layer.fc1.apply(share.fc1, normalised, into: w.row(w.hidden, share.rows.lowerBound, m, types.hidden),
                            rowScales: normalisedScales, on: w.engines[worker])
            let (hidden, hiddenScales) = w.operand(w.hidden, share.rows, m, types.operand)
            layer.fc2.apply(share.fc2, hidden, into: stream, rowScales: hiddenScales, on: w.engines[worker])
        }
    }

    private func normalise(_ x: UnsafePointer<Float>, rows: Int, with norm: LayerNorm,
                           into y: UnsafeMutablePointer<Float>) {
        norm.apply(x, rows: rows, eps: config.layerNormEps, into: y)
    }

    /// The patch rows of the stream as [gh, gw, C], optionally through a LayerNorm.
    private func patchTokens(_ stream: UnsafePointer<Float>, _ g: Geometry, normalised norm: LayerNorm?) -> Tensor {
        let source = stream + g.prefix * g.width
        return Tensor(shape: [g.gridHeight, g.gridWidth, g.width]) { out in
            if let norm {
                normalise(source, rows: g.patches, with: norm, into: out.baseAddress!)
            } else {
                out.baseAddress!.update(from: source, count: g.patches * g.width)
            }
        }
    }
}
