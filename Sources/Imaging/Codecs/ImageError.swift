// Why an image was refused: one case per failure a user can act on, each with a message
// that says what to fix. The HTTP layer maps `tooLarge` to 413 and the rest to 400.

public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are neither JPEG nor PNG (the format is sniffed from the bytes, never a name).
    case notAnImage
    /// The data ends before the image is complete.
    case truncated(format: ImageFormat, detail: String)
    /// The file is malformed.
    case corrupt(format: ImageFormat, detail: String)
    /// The declared dimensions exceed the limits; nothing was allocated for the pixels.
    case tooLarge(width: Int, height: Int, limits: ImageLimits)
    /// A progressive JPEG with more scans than the limit (each scan re-walks the image).
    case tooManyScans(limit: Int)
    /// A valid file of a kind not handled (12-bit JPEG, a colour PNG given as an ID mask, ...).
    case unsupported(format: ImageFormat?, detail: String)
    /// Pixels given for encoding do not match the stated size, or a parameter is out of range.
    case invalidPixels(detail: String)
    case outOfMemory(detail: String)

    /// The declared size is over the limits: HTTP 413 rather than 400.
    public var isTooLarge: Bool {
        if case .tooLarge = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .notAnImage:
            return "not a JPEG or PNG image"
        case let .truncated(format, detail):
            return "truncated \(format.name): \(detail)"
        case let .corrupt(format, detail):
            return "corrupt \(format.name): \(detail)"
        case let .tooLarge(width, height, limits):
            return "image declares \(width)x\(height) pixels; the limit is \(limits.maxPixels) pixels "
                + "and \(limits.maxSide) per side"
        case let .tooManyScans(limit):
            return "progressive JPEG has more than \(limit) scans"
        case let .unsupported(format, detail):
            return "unsupported \(format?.name ?? "image"): \(detail)"
        case let .invalidPixels(detail):
            return "invalid pixels: \(detail)"
        case let .outOfMemory(detail):
            return "out of memory: \(detail)"
        }
    }
}
