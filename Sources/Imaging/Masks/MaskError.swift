// Why a mask (RLE, polygon list or instance-id image) was refused, with what the user
// needs to fix it.

public enum MaskError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `size` is negative, or `height * width` does not fit the 32-bit run counts of COCO RLE.
    case invalidSize(height: Int, width: Int)
    /// The run counts do not add up to `height * width`.
    case countsDoNotCoverImage(sum: UInt64, expected: Int)
    /// A run count is negative or does not fit in 32 bits.
    case countOutOfRange(index: Int, value: Int64)
    /// A compressed count string holds a character outside COCO's alphabet ('0'...'o') or
    /// ends in the middle of a number.
    case malformedCompressedCounts(position: Int, reason: String)
    /// A polygon needs at least three points given as an even number of finite coordinates.
    case invalidPolygon(index: Int, reason: String)
    /// The polygons' boundary is too long to rasterise within the limit.
    case polygonTooLarge(steps: Int, limit: Int)
    /// Two masks compared or merged must have the same size.
    case sizeMismatch(expected: MaskSize, found: MaskSize)
    /// A mask buffer holds a different number of pixels than its size says.
    case bufferSizeMismatch(count: Int, expected: Int)
    /// Decoding the mask would allocate more pixels than allowed.
    case tooManyPixels(pixels: Int, limit: Int)
    /// A Label Studio brush RLE that is not the RGBA image of the mask's size.
    case malformedBrush(reason: String)

    public var description: String {
        switch self {
        case let .invalidSize(height, width):
            return "mask size [\(height), \(width)] is invalid: both must be >= 0 and height*width < 2^32"
        case let .countsDoNotCoverImage(sum, expected):
            return "RLE counts add up to \(sum) pixels, but size [h, w] has \(expected)"
        case let .countOutOfRange(index, value):
            return "RLE count \(index) is \(value): counts must be in 0...\(UInt32.max)"
        case let .malformedCompressedCounts(position, reason):
            return "compressed RLE counts are malformed at character \(position): \(reason)"
        case let .invalidPolygon(index, reason):
            return "polygon \(index) is invalid: \(reason)"
        case let .polygonTooLarge(steps, limit):
            return "polygon boundary needs \(steps) rasterisation steps, over the limit of \(limit)"
        case let .sizeMismatch(expected, found):
            return "mask size [\(found.height), \(found.width)] differs from [\(expected.height), \(expected.width)]"
        case let .bufferSizeMismatch(count, expected):
            return "mask buffer holds \(count) pixels, its size says \(expected)"
        case let .tooManyPixels(pixels, limit):
            return "mask of \(pixels) pixels is over the limit of \(limit)"
        case let .malformedBrush(reason):
            return "brush RLE is malformed: \(reason)"
        }
    }
}

/// Height and width of a mask, in COCO's `size: [h, w]` order.
public struct MaskSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    public var pixelCount: Int { height * width }

    public var description: String { "[\(height), \(width)]" }
}
