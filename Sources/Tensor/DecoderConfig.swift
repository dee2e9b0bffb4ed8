// The transformer decoder's architecture (PyTorch nn.TransformerDecoderLayer's arguments), read
// from JSON and checked against the backbone's width before any weight is read.
import Foundation

public struct DecoderConfig: Codable, Sendable, Equatable {
    /// The feed-forward block's nonlinearity, as TransformerDecoderLayer's `activation` names it.
    public enum Activation: String, Codable, Sendable, CaseIterable {
        case relu, gelu
    }

    /// The weight file's name inside the model directory.
    public var weights: String
    public var layers: Int
    public var heads: Int
    /// `dim_feedforward`: linear1's output features.
    public var feedForward: Int
    public var activation: Activation
    public var layerNormEps: Float

    enum CodingKeys: String, CodingKey {
        case weights, layers, heads, activation
        case feedForward = "feed_forward"
        case layerNormEps = "layer_norm_eps"
    }

    /// Defaults are COTR's depth and PyTorch's own defaults.
    public init(weights: String, layers: Int = 6, heads: Int, feedForward: Int,
                activation: Activation = .relu, layerNormEps: Float = 1e-5) {
        self.weights = weights
        self.layers = layers
        self.heads = heads
        self.feedForward = feedForward
        self.activation = activation
        self.layerNormEps = layerNormEps
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        weights = try container.decode(String.self, forKey: .weights)
        layers = try container.decodeIfPresent(Int.self, forKey: .layers) ?? 6
        heads = try container.decode(Int.self, forKey: .heads)
        feedForward = try container.decode(Int.self, forKey: .feedForward)
        layerNormEps = try container.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
        let name = try container.decodeIfPresent(String.self, forKey: .activation) ?? Activation.relu.rawValue
        // The synthesized error would not say which values are accepted.
        guard let activation = Activation(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .activation, in: container,
                debugDescription: "activation \"\(name)\" is not one of \(Activation.allCases.map(\.rawValue))")
        }
        self.activation = activation
    }

    /// Reads and validates a decoder config file for a backbone of `width` channels.
    public static func load(from path: String, width: Int) throws(ModelError) -> DecoderConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configUnreadable(path: path, reason: "no such file or not readable")
        }
        let config: DecoderConfig
        do {
            config = try JSONDecoder().decode(DecoderConfig.self, from: data)
        } catch {
            throw .configUnreadable(path: path, reason: "\(error)")
        }
        try config.validate(width: width, path: path)
        return config
    }

    /// Checks the config against the backbone's `width` (the decoder's d_model); `path` names
    /// the config in the error.
    public func validate(width: Int, path: String) throws(ModelError) {
        func check(_ condition: Bool, _ problem: String) throws(ModelError) {
            if !condition { throw .invalidConfig(path: path, problem: problem) }
        }
        try check(!weights.isEmpty, "weights must name the decoder's safetensors file")
        try check(layers > 0, "layers must be positive")
        try check(feedForward > 0, "feed_forward must be positive")
        try check(width > 0, "the backbone's width must be positive")
        try check(heads > 0 && width % heads == 0,
                  "the backbone's width \(width) is not divisible by heads \(heads)")
        try check(layerNormEps > 0, "layer_norm_eps must be positive")
    }
}
