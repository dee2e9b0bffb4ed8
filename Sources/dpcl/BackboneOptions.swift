// Command-line options shared by the commands that load the backbone.
import ArgumentParser
import Foundation
import Matching
import Tensor

struct BackboneOptions: ParsableArguments {
    /// Where the default model config is looked for: the repository, then the container's
    /// copy of Config/ (see Dockerfile).
    static let defaultConfigs = ["Config/models/dinov2-small.json", "/etc/dpcl/models/dinov2-small.json"]

    @Option(help: "Model config (architecture and weight file name); default Config/models/dinov2-small.json, else /etc/dpcl/models/dinov2-small.json.")
    var modelConfig: String?

    @Option(help: "Directory of the weight files (default: $DPCL_MODEL_DIR or ~/.cache/dpcl/models).")
    var modelDir: String?

    @Option(help: "Precision of the backbone's products: auto, fp32, bf16 or int8 (default: the model config's, else auto).")
    var precision: Precision?

    /// The model config file in use.
    var configPath: String {
        modelConfig
            ?? Self.defaultConfigs.first { FileManager.default.fileExists(atPath: $0) }
            ?? Self.defaultConfigs[0]
    }

    /// The same options as command-line arguments, for a command that runs another.
    var arguments: [String] {
        (modelConfig.map { ["--model-config", $0] } ?? []) + (modelDir.map { ["--model-dir", $0] } ?? [])
            + (precision.map { ["--precision", $0.rawValue] } ?? [])
    }

    func load() throws -> DINOv2 {
        var config = try ViTConfig.load(from: configPath)
        config.precision = precision ?? config.precision
        let directory = modelDir ?? ModelDirectory.path()
        return try DINOv2.load(config: config, weightsPath: directory + "/" + config.weights)
    }
}

extension BackboneOptions {
    /// The matcher of the same model config: backbone, optional decoder, settings.
    func loadMatcher() throws -> Matcher {
        try Matcher.load(configPath: configPath, modelDirectory: modelDir, precision: precision)
    }
}

extension Precision: ExpressibleByArgument {}
