// The DINOv2 ViT backbone's weights, in the hierarchy of HuggingFace's tensor names
// (embeddings.*, encoder.layer.N.*, layernorm.*), loaded from safetensors and checked
// against the model config, then converted once to the precision's products (PackedLinear).
// Official DINOv2 checkpoints (with or without registers) load as is.

public struct DINOv2: Sendable {
    public struct LayerNorm: Sendable {
        public let weight: [Float]
        public let bias: [Float]
    }

    /// A Linear layer in PyTorch's layout: weight [out, in], as read from the weight file.
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
        /// The patch convolution as a Linear over (channel, y, x)-ordered patch pixels (fp32 at
        /// every precision: 2% of the work, on the raw pixels).
        let patchProjection: PackedLinear
    }

    /// One encoder block. Query, key and value are fused into one [3C, C] product, and
    /// `layer_scale1`/`layer_scale2` are folded into the output and fc2 rows (y·λ = x·(λW)ᵀ + λb),
    /// so that each residual update is a single product accumulating into the stream; fc1's
    /// GELU is fused into its product.
    public struct Layer: Sendable {
        public let norm1: LayerNorm
        let queryKeyValue: PackedLinear
        let outputDense: PackedLinear
        public let norm2: LayerNorm
        let fc1: PackedLinear
        let fc2: PackedLinear
    }

    public let config: ViTConfig
    /// The precision of the products in force: the config's, resolved on this CPU.
    public let precision: Precision
    public let embeddings: Embeddings
    public let layers: [Layer]
    public let layernorm: LayerNorm
    /// The last forward's buffers, kept for the next forward of the same size.
    let workspaces = WorkspaceCache<Workspace>()

    /// Loads `config`'s tensors from a safetensors file (every tensor's shape is checked) and
    /// converts them for the config's precision.
    public static func load(config: ViTConfig, weightsPath: String) throws(ModelError) -> DINOv2 {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: weightsPath) } catch { throw .weights(error) }
        return try DINOv2(config: config, file: file)
    }

    init(config: ViTConfig, file: SafeTensorsFile) throws(ModelError) {
        let precision = (config.precision ?? .auto).resolved
        // Refused here, in a line that says what to choose, rather than by the first
        // primitive oneDNN cannot make.
        guard precision == .fp32 || precision.isAvailable else {
            throw .precisionUnavailable(precision, isa: PrecisionCheck.isa)
        }
        let c = config.hiddenSize
        let p = config.patchSize
        func read(_ name: String, _ shape: [Int]) throws(ModelError) -> [Float] {
            do { return try file.floats(name, shape) } catch { throw .weights(error) }
        }
        func norm(_ prefix: String) throws(ModelError) -> LayerNorm {
            do { return try file.layerNorm(prefix, width: c) } catch { throw .weights(error) }
        }
        func linear(_ prefix: String, out: Int, in inFeatures: Int, scale: [Float]? = nil) throws(ModelError) -> Linear {
            do { return try file.linear(prefix, out: out, in: inFeatures).scaled(by: scale) } catch { throw .weights(error) }
        }
        let types = Types(precision)
        func packed(_ linear: Linear, output: Matmul.DataType, fusion: Matmul.Fusion) throws(ModelError) -> PackedLinear {
            try PackedLinear(linear, precision: precision, output: output, fusion: fusion)
        }

        let grid = config.positionGrid
        embeddings = Embeddings(
            clsToken: try read("embeddings.cls_token", [1, 1, c]),
            positionEmbeddings: try read("embeddings.position_embeddings", [1, 1 + grid * grid, c]),
            registerTokens: config.numRegisterTokens > 0
                ? try read("embeddings.register_tokens", [1, config.numRegisterTokens, c]) : [],
            patchProjection: try PackedLinear(Linear(
                weight: try read("embeddings.patch_embeddings.projection.weight", [c, 3, p, p]),
                bias: try read("embeddings.patch_embeddings.projection.bias", [c]),
                outFeatures: c, inFeatures: 3 * p * p), precision: .fp32, output: .f32, fusion: .store))

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
                queryKeyValue: try packed(Linear(weight: parts.flatMap(\.weight), bias: parts.flatMap(\.bias),
                                                 outFeatures: 3 * c, inFeatures: c),
                                          output: types.qkv, fusion: .store),
                outputDense: try packed(try linear(prefix + "attention.output.dense", out: c, in: c, scale: scale1),
                                        output: .f32, fusion: .accumulate),
                norm2: try norm(prefix + "norm2"),
                fc1: try packed(try linear(prefix + "mlp.fc1", out: config.mlpHiddenSize, in: c),
                                output: types.hidden, fusion: .gelu),
                fc2: try packed(try linear(prefix + "mlp.fc2", out: c, in: config.mlpHiddenSize, scale: scale2),
                                output: .f32, fusion: .accumulate)))
        }
        self.config = config
        self.precision = precision
        self.layers = layers
        self.layernorm = try norm("layernorm")
    }

    /// The element types of a block's buffers at a precision.
    struct Types: Sendable {
        /// The LayerNorms' outputs: the products' operand, or float32 for int8 to quantize.
        let normalised: Matmul.DataType
        /// The Linear layers' operands.
        let operand: Matmul.DataType
        /// The fused QKV: the attention's operands.
        let qkv: Matmul.DataType
        /// The attention's output and fc1's: the next product's operand, float32 for int8.
        let attended: Matmul.DataType
        let hidden: Matmul.DataType

        init(_ precision: Precision) {
            operand = PackedLinear.operand(precision)
            qkv = PackedLinear.operand(precision.floating)
            normalised = precision == .int8 ? .f32 : operand
            attended = normalised
            hidden = normalised
        }

        var attention: Attention.Types { Attention.Types(operands: qkv, output: attended) }
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
