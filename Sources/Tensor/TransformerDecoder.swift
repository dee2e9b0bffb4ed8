// DPCL's transformer decoder: COTR-style post-norm blocks in the hierarchy of PyTorch
// nn.TransformerDecoderLayer's tensor names (decoder.layers.N.*), loaded from safetensors.

public struct TransformerDecoder: Sendable {
    public typealias Linear = DINOv2.Linear
    public typealias LayerNorm = DINOv2.LayerNorm

    /// nn.MultiheadAttention: the query, key and value projections stacked in one [3C, C]
    /// Linear (in_proj_weight, in_proj_bias), then out_proj.
    public struct MultiheadAttention: Sendable {
        public let inProj: Linear
        public let outProj: Linear
    }

    /// One nn.TransformerDecoderLayer (norm_first=False): self-attention, cross-attention to the
    /// memory and the feed-forward block, each followed by its residual LayerNorm.
    public struct Layer: Sendable {
        public let selfAttn: MultiheadAttention
        public let multiheadAttn: MultiheadAttention
        public let linear1: Linear
        public let linear2: Linear
        public let norm1: LayerNorm
        public let norm2: LayerNorm
        public let norm3: LayerNorm
    }

    public let config: DecoderConfig
    /// d_model: the backbone's hidden size.
    public let width: Int
    public let layers: [Layer]
    /// The last forward's buffers, kept for the next forward of the same sizes.
    let workspaces = WorkspaceCache<Workspace>()

    /// Loads `config.layers` layers for patch tokens of `width` channels from a safetensors
    /// file; the config is validated and every tensor's shape is checked. Further tensors of
    /// the file (deeper layers, a final norm) are ignored.
    public static func load(config: DecoderConfig, width: Int, weightsPath: String) throws(ModelError) -> TransformerDecoder {
        try config.validate(width: width, path: "decoder (\(config.weights))")
        do {
            let file = try SafeTensorsFile(path: weightsPath)
            return try TransformerDecoder(config: config, width: width, file: file)
        } catch {
            throw .weights(error)
        }
    }

    init(config: DecoderConfig, width c: Int, file: SafeTensorsFile) throws(SafeTensorsError) {
        let f = config.feedForward
        func norm(_ prefix: String) throws(SafeTensorsError) -> LayerNorm { try file.layerNorm(prefix, width: c) }
        func linear(_ prefix: String, out: Int, in inFeatures: Int) throws(SafeTensorsError) -> Linear {
            try file.linear(prefix, out: out, in: inFeatures)
        }
        func attention(_ prefix: String) throws(SafeTensorsError) -> MultiheadAttention {
            MultiheadAttention(
                inProj: try file.linear(prefix, out: 3 * c, in: c, weight: prefix + ".in_proj_weight", bias: prefix + ".in_proj_bias"),
                outProj: try linear(prefix + ".out_proj", out: c, in: c))
        }

        var layers: [Layer] = []
        for index in 0..<config.layers {
            let prefix = "decoder.layers.\(index)."
            layers.append(Layer(
                selfAttn: try attention(prefix + "self_attn"),
                multiheadAttn: try attention(prefix + "multihead_attn"),
                linear1: try linear(prefix + "linear1", out: f, in: c),
                linear2: try linear(prefix + "linear2", out: c, in: f),
                norm1: try norm(prefix + "norm1"),
                norm2: try norm(prefix + "norm2"),
                norm3: try norm(prefix + "norm3")))
        }
        self.config = config
        self.width = c
        self.layers = layers
    }

    /// Floating-point operations of one forward of `source` and `target` tokens.
    public func flops(sourceTokens: Int, targetTokens: Int) -> Double {
        let c = Double(width), f = Double(config.feedForward)
        func stream(_ n: Double, memory m: Double) -> Double {
            // Self-attention, queries and memory keys/values, cross-attention, feed-forward.
            2 * n * c * 3 * c + 4 * n * n * c + 2 * n * c * c
                + 2 * n * c * c + 2 * m * c * 2 * c + 4 * n * m * c + 2 * n * c * c
                + 4 * n * c * f
        }
        let (s, t) = (Double(sourceTokens), Double(targetTokens))
        return Double(config.layers) * (stream(s, memory: t) + stream(t, memory: s))
    }
}
