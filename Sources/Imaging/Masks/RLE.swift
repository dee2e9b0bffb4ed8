// The COCO run-length encoded binary mask: the value type, its validation and its area.

/// A binary mask of `height` x `width` pixels as COCO stores it: run lengths over the pixels
/// in column-major order (down the first column, then the next), alternating background and
/// foreground, starting with background (so `counts[0]` may be 0).
///
/// Every initialiser checks that the counts cover exactly `height * width` pixels, so the
/// operations below never read past a run list and never see a size they cannot handle.
public struct RLE: Sendable, Hashable {
    public let size: MaskSize
    public let counts: [UInt32]

    public var height: Int { size.height }
    public var width: Int { size.width }

    /// Run counts as pycocotools keeps them (`frPyObjects` of uncompressed counts).
    public init(counts: [UInt32], height: Int, width: Int) throws(MaskError) {
        let size = try RLE.checkedSize(height: height, width: width)
        var sum: UInt64 = 0
        for count in counts { sum &+= UInt64(count) }
        guard sum == UInt64(size.pixelCount) else {
            throw .countsDoNotCoverImage(sum: sum, expected: size.pixelCount)
        }
        self.size = size
        self.counts = counts
    }

    /// Run counts from JSON integers, which may be negative or too large.
    public init(counts: [Int], height: Int, width: Int) throws(MaskError) {
        var checked = [UInt32]()
        checked.reserveCapacity(counts.count)
        for (index, count) in counts.enumerated() {
            guard let value = UInt32(exactly: count) else {
                throw .countOutOfRange(index: index, value: Int64(count))
            }
            checked.append(value)
        }
        try self.init(counts: checked, height: height, width: width)
    }

    /// For counts built here, already known to cover the mask.
    init(trusted counts: [UInt32], size: MaskSize) {
        self.size = size
        self.counts = counts
    }

    /// An all-background mask.
    public static func empty(height: Int, width: Int) throws(MaskError) -> RLE {
        let size = try checkedSize(height: height, width: width)
        return RLE(trusted: [UInt32(size.pixelCount)], size: size)
    }

    /// Number of foreground pixels (pycocotools `area`).
    public var area: Int {
        var total = 0
        var index = 1
        while index < counts.count {
            total += Int(counts[index])
            index += 2
        }
        return total
    }

    /// COCO run counts are 32-bit, so a mask may hold at most 2^32 - 1 pixels.
    static func checkedSize(height: Int, width: Int) throws(MaskError) -> MaskSize {
        guard height >= 0, width >= 0 else { throw .invalidSize(height: height, width: width) }
        let (pixels, overflow) = height.multipliedReportingOverflow(by: width)
        guard !overflow, pixels <= Int(UInt32.max) else {
            throw .invalidSize(height: height, width: width)
        }
        return MaskSize(height: height, width: width)
    }
}
