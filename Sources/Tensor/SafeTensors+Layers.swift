// The layers every model of the engine reads from its weight file by PyTorch-style names:
// `<prefix>.weight` / `<prefix>.bias`, each shape checked.

extension SafeTensorsFile {
    func floats(_ name: String, _ shape: [Int]) throws(SafeTensorsError) -> [Float] {
        try tensor(name, shape: shape).storage
    }

    func layerNorm(_ prefix: String, width: Int) throws(SafeTensorsError) -> DINOv2.LayerNorm {
        DINOv2.LayerNorm(weight: try floats(prefix + ".weight", [width]), bias: try floats(prefix + ".bias", [width]))
    }

    /// A Linear [out, in] from `<prefix>.weight` and `<prefix>.bias`, or from the names given.
    func linear(_ prefix: String, out: Int, in inFeatures: Int, weight: String? = nil,
                bias: String? = nil) throws(SafeTensorsError) -> DINOv2.Linear {
        DINOv2.Linear(weight: try floats(weight ?? prefix + ".weight", [out, inFeatures]),
                      bias: try floats(bias ?? prefix + ".bias", [out]), outFeatures: out, inFeatures: inFeatures)
    }
}

extension DINOv2.Linear {
    /// The layer followed by a per-output scale (y·λ = x·(λW)ᵀ + λb), folded into its rows.
    func scaled(by scale: [Float]?) -> DINOv2.Linear {
        guard let scale else { return self }
        var weight = self.weight, bias = self.bias
        for row in 0..<outFeatures {
            bias[row] *= scale[row]
            for column in 0..<inFeatures { weight[row * inFeatures + column] *= scale[row] }
        }
        return DINOv2.Linear(weight: weight, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures)
    }
}
