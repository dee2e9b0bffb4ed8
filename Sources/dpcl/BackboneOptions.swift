// Command-line options shared by the commands that load the backbone.
import ArgumentParser
import Tensor

struct BackboneOptions: ParsableArguments {
    @Option(help: "Model config (architecture and weight file name).")
    var modelConfig = "Config/models/dinov2-small.json"

    @Option(help: "Directory of the weight files (default: $DPCL_MODEL_DIR or ~/.cache/dpcl/models).")
    var modelDir: String?

    func load() throws -> DINOv2 {
        let config = try ViTConfig.load(from: modelConfig)
        let directory = modelDir ?? ModelDirectory.path()
        return try DINOv2.load(config: config, weightsPath: directory + "/" + config.weights)
    }
}
