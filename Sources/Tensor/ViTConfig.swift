// A ViT backbone's architecture, read from a model config file (Config/models/*.json) and
// checked for consistency before any weight is read.
import Foundation

public struct ViTConfig: Codable, Sendable, Equatable {
    public var name: String
    /// The weight file's name inside the model directory.
    public var weights: String
    public var patchSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var mlpHiddenSize: Int
    public var numRegisterTokens: Int
    public var layerScale: Bool
    public var layerNormEps: Float
    /// Side of the square patch grid the position embeddings were trained at.
    public var positionGrid: Int
    public var imageMean: [Float]
    public var imageStd: [Float]
    /// The products' precision (`"auto"`, `"fp32"`, `"bf16"` or `"int8"`); absent: auto.
    public var precision: Precision?

    enum CodingKeys: String, CodingKey {
        case name, weights
        case patchSize = "patch_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case mlpHiddenSize = "mlp_hidden_size"
        case numRegisterTokens = "num_register_tokens"
        case layerScale = "layer_scale"
        case layerNormEps = "layer_norm_eps"
        case positionGrid = "position_grid"
        case imageMean = "image_mean"
        case imageStd = "image_std"
        case precision
    }

    public static func load(from path: String) throws(ModelError) -> ViTConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configUnreadable(path: path, reason: "no such file or not readable")
        }
        return try decode(data, path: path)
    }

    /// The config in a model file already read (`path` names it in errors).
    public static func decode(_ data: Data, path: String) throws(ModelError) -> ViTConfig {
        let config: ViTConfig
        do {
            config = try JSONDecoder().decode(ViTConfig.self, from: data)
        } catch {
            throw .configUnreadable(path: path, reason: "\(error)")
        }
        try config.validate(path: path)
        return config
    }

    func validate(path: String) throws(ModelError) {
        func check(_ condition: Bool, _ problem: String) throws(ModelError) {
            if !condition { throw .invalidConfig(path: path, problem: problem) }
        }
        try check(patchSize > 0 && hiddenSize > 0 && numHiddenLayers > 0 && mlpHiddenSize > 0
                  && positionGrid > 0, "sizes must be positive")
        try check(numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0,
                  "hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        try check(numRegisterTokens >= 0, "num_register_tokens must not be negative")
        try check(layerNormEps > 0, "layer_norm_eps must be positive")
        try check(imageMean.count == 3 && imageStd.count == 3 && imageStd.allSatisfy { $0 > 0 },
                  "image_mean and image_std need 3 values each, std positive")
    }
}
