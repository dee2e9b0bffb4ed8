// The DINOv2 ViT backbone's weights, in the hierarchy of HuggingFace's tensor names
// (embeddings.*, encoder.layer.N.*, layernorm.*), loaded from safetensors and checked
// against the model config. Official DINOv2 checkpoints (with or without registers) load as is.

public struct DINOv2: Sendable {
    public struct LayerNorm: Sendable {
        public let weight: [Float]
        public let bias: [Float]
    }

    /// A Linear layer in PyTorch's layout: weight [out, in].
    public struct Linear: Sendable {
        public let weight: [Float]
        public let bias: [Float]
        public let outFeatures: Int
        public let inFeatures: Int
    }

    public struct Embeddings: Sendable {
        public let clsToken: [Float]
        /// [1 + grid², C]: the class token's row, then the patch grid row by row.
        public let positionEmbeddings: [Float]
        /// [registers, C]; empty without registers.
        public let registerTokens: [Float]
        /// The patch convolution as a Linear over (channel, y, x)-ordered patch pixels.
        public let patchProjection: Linear
    }

    /// One encoder block. Query, key and value are fused into one [3C, C] product, and
    /// `layer_scale1`/`layer_scale2` are folded into the output and fc2 rows (y·λ = x·(λW)ᵀ + λb),
    /// so that each residual update is a single GEMM accumulating into the stream.
    public struct Layer: Sendable {
        public let norm1: LayerNorm
        public let queryKeyValue: Linear
        public let outputDense: Linear
        public let norm2: LayerNorm
        public let fc1: Linear
        public let fc2: Linear
    }

    public let config: ViTConfig
    public let embeddings: Embeddings
    public let layers: [Layer]
    public let layernorm: LayerNorm
    /// The last forward's buffers, kept for the next forward of the same size.
    let workspaces = WorkspaceCache<Workspace>()

    /// Loads `config`'s tensors from a safetensors file; every tensor's shape is checked.
    public static func load(config: ViTConfig, weightsPath: String) throws(ModelError) -> DINOv2 {
        do {
            let file = try SafeTensorsFile(path: weightsPath)
            return try DINOv2(config: config, file: file)
        } catch {
            throw .weights(error)
        }
    }

    init(config: ViTConfig, file: SafeTensorsFile) throws(SafeTensorsError) {
        let c = config.hiddenSize
        let p = config.patchSize
        func read(_ name: String, _ shape: [Int]) throws(SafeTensorsError) -> [Float] { try file.floats(name, shape) }
        func norm(_ prefix: String) throws(SafeTensorsError) -> LayerNorm { try file.layerNorm(prefix, width: c) }
        func linear(_ prefix: String, out: Int, in inFeatures: Int, scale: [Float]? = nil) throws(SafeTensorsError) -> Linear {
            try file.linear(prefix, out: out, in: inFeatures).scaled(by: scale)
        }

        let grid = config.positionGrid
        embeddings = Embeddings(
            clsToken: try read("embeddings.cls_token", [1, 1, c]),
            positionEmbeddings: try read("embeddings.position_embeddings", [1, 1 + grid * grid, c]),
            registerTokens: config.numRegisterTokens > 0
                ? try read("embeddings.register_tokens", [1, config.numRegisterTokens, c]) : [],
            patchProjection: Linear(
                weight: try read("embeddings.patch_embeddings.projection.weight", [c, 3, p, p]),
                bias: try read("embeddings.patch_embeddings.projection.bias", [c]),
                outFeatures: c, inFeatures: 3 * p * p))

        var layers: [Layer] = []
        for index in 0..<config.numHiddenLayers {
            let prefix = "encoder.layer.\(index)."
            let attention = prefix + "attention.attention."
            let parts = [try linear(attention + "query", out: c, in: c),
                         try linear(attention + "key", out: c, in: c),
                         try linear(attention + "value", out: c, in: c)]
            let scale1 = config.layerScale ? try read(prefix + "layer_scale1.lambda1", [c]) : nil
            let scale2 = config.layerScale ? try read(prefix + "layer_scale2.lambda1", [c]) : nil
            layers.append(Layer(
                norm1: try norm(prefix + "norm1"),
                queryKeyValue: Linear(weight: parts.flatMap(\.weight), bias: parts.flatMap(\.bias),
                                      outFeatures: 3 * c, inFeatures: c),
                outputDense: try linear(prefix + "attention.output.dense", out: c, in: c, scale: scale1),
                norm2: try norm(prefix + "norm2"),
                fc1: try linear(prefix + "mlp.fc1", out: config.mlpHiddenSize, in: c),
                fc2: try linear(prefix + "mlp.fc2", out: c, in: config.mlpHiddenSize, scale: scale2)))
        }
        self.config = config
        self.layers = layers
        self.layernorm = try norm("layernorm")
    }

    /// Floating-point operations of one forward at an input of `height` × `width` pixels.
    public func flops(height: Int, width: Int) -> Double {
        let c = Double(config.hiddenSize), m = Double(config.mlpHiddenSize)
        let p = Double(config.patchSize)
        let patches = Double((height / config.patchSize) * (width / config.patchSize))
        let t = 1 + Double(config.numRegisterTokens) + patches
        let perLayer = 2 * t * c * 3 * c + 4 * t * t * c + 2 * t * c * c + 4 * t * c * m
        return 2 * patches * c * 3 * p * p + Double(config.numHiddenLayers) * perLayer
    }
}
