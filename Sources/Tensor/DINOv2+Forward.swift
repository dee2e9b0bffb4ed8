// The backbone's forward pass: patch embedding, class/register tokens and interpolated
// position embeddings, pre-norm encoder blocks, and the patch tokens of the chosen layers.

extension DINOv2 {
    /// Runs the backbone on `input` [3, H, W] (normalised, sides multiples of the patch size)
    /// and returns the patch tokens [H/p, W/p, C] after each requested layer.
    /// Heads of the attention run on up to `workers` threads (default: OpenBLAS's count).
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
        let workers = max(1, min(workers ?? BLASThreads.current, geometry.tokens))
        let workspace = workspaces.take(Workspace.Sizes(geometry: geometry, workers: workers))
        defer { workspaces.give(workspace) }
        return BLASThreads.singleThreaded {
            run(input, geometry, workspace, requested: requested, lastBlock: lastBlock)
        }
    }

    private func run(_ input: Tensor, _ geometry: Geometry, _ workspace: Workspace,
                     requested: Set<BackboneLayer>, lastBlock: Int) -> [BackboneLayer: Tensor] {

        input.storage.withUnsafeBufferPointer { embed($0.baseAddress!, geometry, into: workspace.stream) }
        var outputs: [BackboneLayer: Tensor] = [:]
        if lastBlock >= 0 {
            for index in 0...lastBlock {
                block(layers[index], geometry, workspace)
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

    /// Token counts of one input size.
    struct Geometry: Sendable {
        let gridHeight: Int, gridWidth: Int
        let patches: Int, prefix: Int, tokens: Int
        let width: Int, mlpWidth: Int, heads: Int

        init(config: ViTConfig, height: Int, width: Int) {
            gridHeight = height / config.patchSize
            gridWidth = width / config.patchSize
            patches = gridHeight * gridWidth
            prefix = 1 + config.numRegisterTokens
            tokens = prefix + patches
            self.width = config.hiddenSize
            mlpWidth = config.mlpHiddenSize
            heads = config.numAttentionHeads
        }
    }

    /// Buffers of one forward, allocated once and reused by every block. Workers share it
    /// but write disjoint rows (or heads' columns), hence the unchecked Sendable.
    final class Workspace: ReusableWorkspace, @unchecked Sendable {
        /// The buffers depend on the token count and the workers (the widths are the model's).
        struct Sizes: Equatable, Sendable {
            let geometry: Geometry
            let workers: Int
            static func == (a: Sizes, b: Sizes) -> Bool {
                a.geometry.tokens == b.geometry.tokens && a.workers == b.workers
            }
        }

        let sizes: Sizes
        let stream, normalised, qkv, attended, hidden, scores: UnsafeMutablePointer<Float>
        var workers: Int { sizes.workers }

        init(_ sizes: Sizes) {
            self.sizes = sizes
            let (g, workers) = (sizes.geometry, sizes.workers)
            stream = .allocate(capacity: g.tokens * g.width)
            normalised = .allocate(capacity: workers * g.tokens * g.width)
            qkv = .allocate(capacity: g.tokens * 3 * g.width)
            attended = .allocate(capacity: g.tokens * g.width)
            hidden = .allocate(capacity: g.tokens * max(g.mlpWidth, g.width))
            scores = .allocate(capacity: Attention.scratchCount(tokens: g.tokens, workers: workers))
        }

        deinit {
            for buffer in [stream, normalised, qkv, attended, hidden, scores] { buffer.deallocate() }
        }
    }

    /// Tokens: [class + pos₀, registers, patches + interpolated pos].
    private func embed(_ image: UnsafePointer<Float>, _ g: Geometry, into stream: UnsafeMutablePointer<Float>) {
        let c = g.width
        let p = config.patchSize
        let projection = embeddings.patchProjection
        let patches = UnsafeMutablePointer<Float>.allocate(capacity: g.patches * projection.inFeatures)
        defer { patches.deallocate() }
        PatchEmbedding.gather(image, channels: 3, height: g.gridHeight * p, width: g.gridWidth * p,
                              patch: p, into: patches)
        let patchRows = stream + g.prefix * c
        projection.weight.withUnsafeBufferPointer { weight in
            projection.bias.withUnsafeBufferPointer { bias in
                GEMM.linear(patches, rows: g.patches, inFeatures: projection.inFeatures,
                            weight: weight.baseAddress!, bias: bias.baseAddress!,
                            outFeatures: c, into: patchRows)
            }
        }
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
    /// Each product splits its output columns between workers (`Linear.apply`). Each worker
    /// normalises all rows into its own buffer first: redundant but cheap, and it saves a
    /// barrier per norm. The attention splits (head, query band) pairs.
    private func block(_ layer: Layer, _ g: Geometry, _ w: Workspace) {
        let (t, c, m) = (g.tokens, g.width, g.mlpWidth)
        let workers = w.workers
        Parallel.run(workers: workers) { worker in
            let normalised = w.normalised + worker * t * c
            normalise(w.stream, rows: t, with: layer.norm1, into: normalised)
            layer.queryKeyValue.apply(to: normalised, rows: t, into: w.qkv, accumulate: false,
                  share: worker, of: workers)
        }
        Attention.run(qkv: w.qkv, tokens: t, width: c, heads: g.heads, workers: workers,
                      scratch: w.scores, into: w.attended)
        Parallel.run(workers: workers) { worker in
            layer.outputDense.apply(to: w.attended, rows: t, into: w.stream, accumulate: true,
                  share: worker, of: workers)
        }
        Parallel.run(workers: workers) { worker in
            let normalised = w.normalised + worker * t * c
            normalise(w.stream, rows: t, with: layer.norm2, into: normalised)
            let columns = layer.fc1.apply(to: normalised, rows: t, into: w.hidden, accumulate: false,
                                share: worker, of: workers)
            for row in 0..<t {
                Kernels.gelu(w.hidden + row * m + columns.lowerBound, count: columns.count)
            }
        }
        Parallel.run(workers: workers) { worker in
            layer.fc2.apply(to: w.hidden, rows: t, into: w.stream, accumulate: true,
                  share: worker, of: workers)
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
