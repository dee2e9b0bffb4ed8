// Backbone features of one image: the input geometry (aspect kept, sides multiples of the
// patch size), the forward up to the configured block, and L2-normalised patch vectors.
import Imaging
import Tensor

/// How an image maps onto the backbone's patch grid.
public struct InputGeometry: Sendable, Hashable, Codable {
    public let imageWidth: Int, imageHeight: Int
    public let inputWidth: Int, inputHeight: Int
    public let patch: Int

    /// The long side becomes `longSide`; each side is rounded to a multiple of `patch`.
    public init(imageWidth: Int, imageHeight: Int, longSide: Int, patch: Int) {
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.patch = patch
        let scale = Double(longSide) / Double(max(imageWidth, imageHeight))
        func side(_ length: Int) -> Int {
            max(1, Int((Double(length) * scale / Double(patch)).rounded())) * patch
        }
        inputWidth = side(imageWidth)
        inputHeight = side(imageHeight)
    }

    public var gridWidth: Int { inputWidth / patch }
    public var gridHeight: Int { inputHeight / patch }
    public var patches: Int { gridWidth * gridHeight }
    /// Patches per image pixel along x and y.
    public var sx: Double { Double(gridWidth) / Double(imageWidth) }
    public var sy: Double { Double(gridHeight) / Double(imageHeight) }

    enum CodingKeys: String, CodingKey {
        case imageWidth = "image_width", imageHeight = "image_height"
        case inputWidth = "input_width", inputHeight = "input_height", patch
    }
}

/// Patch vectors [gh·gw, C], row-major over the grid.
public struct FeatureMap: Sendable {
    public let geometry: InputGeometry
    public let channels: Int
    public var values: [Float]

    /// Each patch vector scaled to unit length (a zero vector stays zero).
    func normalised() -> FeatureMap {
        var copy = self
        let c = channels
        copy.values.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<geometry.patches {
                let base = buffer.baseAddress! + row * c
                var sum: Float = 0
                for j in 0..<c { sum += base[j] * base[j] }
                guard sum > 0 else { continue }
                let inverse = 1 / sum.squareRoot()
                for j in 0..<c { base[j] *= inverse }
            }
        }
        return copy
    }

    /// The bilinear sample at continuous grid coordinates (patch centres at integers),
    /// clamped to the grid, re-normalised to unit length.
    /// With `inside`, patches outside the instance (false) are left out of the blend, unless
    /// none of the four is inside.
    func sample(gridX: Double, gridY: Double, inside: [Bool]? = nil) -> [Float] {
        let g = geometry
        let x = min(max(gridX, 0), Double(g.gridWidth - 1)), y = min(max(gridY, 0), Double(g.gridHeight - 1))
        let x0 = Int(x), y0 = Int(y)
        let x1 = min(x0 + 1, g.gridWidth - 1), y1 = min(y0 + 1, g.gridHeight - 1)
        let wx = Float(x - Double(x0)), wy = Float(y - Double(y0))
        var weights = [(y0, x0, (1 - wx) * (1 - wy)), (y0, x1, wx * (1 - wy)), (y1, x0, (1 - wx) * wy), (y1, x1, wx * wy)]
        if let inside {
            let kept = weights.filter { inside[$0.0 * g.gridWidth + $0.1] && $0.2 > 0 }
            if !kept.isEmpty { weights = kept }
        }
        var out = [Float](repeating: 0, count: channels)
        values.withUnsafeBufferPointer { v in
            for (row, column, weight) in weights where weight > 0 {
                let base = (row * g.gridWidth + column) * channels
                for j in 0..<channels { out[j] += weight * v[base + j] }
            }
        }
        let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for j in 0..<channels { out[j] /= norm } }
        return out
    }
}

enum Features {
    /// The backbone's patch tokens after block `layer` at the geometry's input size.
    static func extract(_ image: RGBImage, geometry: InputGeometry, layer: Int, model: DINOv2) throws -> FeatureMap {
        let resized = try BilinearResize.resize(image, width: geometry.inputWidth, height: geometry.inputHeight)
        let input = try Tensor(normalisingRGB: resized.pixels, width: geometry.inputWidth, height: geometry.inputHeight,
                               mean: model.config.imageMean, std: model.config.imageStd)
        let outputs = try model.forward(input, layers: [.block(layer)])
        guard let tokens = outputs[.block(layer)] else { throw ModelError.layerOutOfRange(layer, depth: model.config.numHiddenLayers) }
        return FeatureMap(geometry: geometry, channels: model.config.hiddenSize, values: tokens.storage)
    }
}
