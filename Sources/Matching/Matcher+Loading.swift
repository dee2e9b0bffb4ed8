// A matcher from one model config file, read once: the backbone's architecture and
// weights, the optional `decoder` object (trained DPCL weights) and the `matcher` settings.
import Foundation
import Tensor

extension Matcher {
    /// `precision` overrides the config's.
    public static func load(configPath: String, modelDirectory: String? = nil, precision: Precision? = nil) throws -> Matcher {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ModelError.configUnreadable(path: configPath, reason: "no such file or not readable")
        }
        var backbone = try ViTConfig.decode(data, path: configPath)
        backbone.precision = precision ?? backbone.precision
        struct Settings: Decodable {
            /// Every key is required, so no constant of the pipeline hides in code.
            var matcher: MatcherConfig
            var decoder: DecoderConfig?
        }
        let settings: Settings
        do {
            settings = try JSONDecoder().decode(Settings.self, from: data)
        } catch let error as DecodingError {
            throw MatcherConfigError.unreadable(path: configPath, reason: ConfigDecoding.describe(error))
        }
        let directory = modelDirectory ?? ModelDirectory.path()
        let model = try DINOv2.load(config: backbone, weightsPath: directory + "/" + backbone.weights)
        var decoder: TransformerDecoder?
        if let decoderConfig = settings.decoder {
            decoder = try TransformerDecoder.load(config: decoderConfig, width: backbone.hiddenSize,
                                                  weightsPath: directory + "/" + decoderConfig.weights)
        }
        return try Matcher(model: model, decoder: decoder, config: settings.matcher, name: backbone.name)
    }
}
