// A matcher from one model config file: the backbone's architecture and weights, the
// optional `decoder` object (trained DPCL weights) and the `matcher` settings.
import Foundation
import Tensor

extension Matcher {
    public static func load(configPath: String, modelDirectory: String? = nil) throws -> Matcher {
        let backbone = try ViTConfig.load(from: configPath)
        let directory = modelDirectory ?? ModelDirectory.path()
        let model = try DINOv2.load(config: backbone, weightsPath: directory + "/" + backbone.weights)
        var decoder: TransformerDecoder?
        if let decoderConfig = try decoderConfig(path: configPath, width: backbone.hiddenSize) {
            decoder = try TransformerDecoder.load(config: decoderConfig, width: backbone.hiddenSize,
                                                  weightsPath: directory + "/" + decoderConfig.weights)
        }
        return try Matcher(model: model, decoder: decoder, config: try MatcherConfig.load(from: configPath), name: backbone.name)
    }

    /// The `decoder` object of a model config; nil where it has none (the zero-shot default).
    static func decoderConfig(path: String, width: Int) throws(ModelError) -> DecoderConfig? {
        struct Envelope: Decodable { var decoder: DecoderConfig? }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configUnreadable(path: path, reason: "no such file or not readable")
        }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch {
            throw .configUnreadable(path: path, reason: "decoder: \(error)")
        }
        try envelope.decoder?.validate(width: width, path: path)
        return envelope.decoder
    }
}
