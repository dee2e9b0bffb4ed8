// Limits checked on an image's declared header before any pixel buffer is allocated.

/// What a decoder accepts. Defaults: 40 megapixels, 16384 pixels per side, 100 progressive
/// JPEG scans (ordinary progressive files have about 10).
public struct ImageLimits: Sendable, Hashable, Codable {
    public var maxPixels: Int
    public var maxSide: Int
    public var maxScans: Int

    public init(maxPixels: Int = 40_000_000, maxSide: Int = 16_384, maxScans: Int = 100) {
        self.maxPixels = maxPixels
        self.maxSide = maxSide
        self.maxScans = maxScans
    }

    public static let `default` = ImageLimits()
}
