// Conversion between RLE and pixel buffers (one byte per pixel, 0 = background), in COCO's
// column-major order or in the row-major order of images.

extension RLE {
    /// pycocotools `encode` of a Fortran-ordered (column-major) mask; any non-zero byte is
    /// foreground.
    public init(columnMajor mask: UnsafeBufferPointer<UInt8>, height: Int, width: Int) throws(MaskError) {
        let size = try RLE.checkedSize(height: height, width: width)
        guard mask.count == size.pixelCount else {
            throw .bufferSizeMismatch(count: mask.count, expected: size.pixelCount)
        }
        var runs = RunCounter()
        for byte in mask { runs.add(byte != 0) }
        self.init(trusted: runs.finish(), size: size)
    }

    /// Encodes a row-major mask (the layout of decoded images and ID PNGs); any non-zero
    /// byte is foreground.
    public init(rowMajor mask: UnsafeBufferPointer<UInt8>, height: Int, width: Int) throws(MaskError) {
        try self.init(rowMajor: mask, height: height, width: width) { $0 != 0 }
    }

    /// Encodes the pixels of a row-major buffer for which `isForeground` holds: one pass
    /// per instance of an ID image without building a binary mask first.
    public init<Pixel>(
        rowMajor pixels: UnsafeBufferPointer<Pixel>, height: Int, width: Int,
        isForeground: (Pixel) -> Bool
    ) throws(MaskError) {
        let size = try RLE.checkedSize(height: height, width: width)
        guard pixels.count == size.pixelCount else {
            throw .bufferSizeMismatch(count: pixels.count, expected: size.pixelCount)
        }
        var runs = RunCounter()
        for x in 0..<width {
            var index = x
            for _ in 0..<height {
                runs.add(isForeground(pixels[index]))
                index += width
            }
        }
        self.init(trusted: runs.finish(), size: size)
    }

    public init(columnMajor mask: [UInt8], height: Int, width: Int) throws(MaskError) {
        let result = mask.withUnsafeBufferPointer { buffer in
            Result { () throws(MaskError) in try RLE(columnMajor: buffer, height: height, width: width) }
        }
        self = try result.get()
    }

    public init(rowMajor mask: [UInt8], height: Int, width: Int) throws(MaskError) {
        let result = mask.withUnsafeBufferPointer { buffer in
            Result { () throws(MaskError) in try RLE(rowMajor: buffer, height: height, width: width) }
        }
        self = try result.get()
    }

    /// The mask as bytes 0/1, column-major (pycocotools `decode`, transposed storage).
    /// Allocates `height * width` bytes: check the size against the image first.
    public func columnMajorMask() -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: size.pixelCount)
        mask.withUnsafeMutableBufferPointer { out in
            var position = 0
            for (index, count) in counts.enumerated() {
                let next = position + Int(count)
                if index % 2 == 1 {
                    for p in position..<next { out[p] = 1 }
                }
                position = next
            }
        }
        return mask
    }

    /// The mask as bytes 0/1 in row-major order, `value` for foreground.
    /// Allocates `height * width` bytes: check the size against the image first.
    public func rowMajorMask(value: UInt8 = 1) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: size.pixelCount)
        mask.withUnsafeMutableBufferPointer { paint(value, into: $0) }
        return mask
    }

    /// Writes `value` at each foreground pixel of a row-major buffer of this mask's size.
    func paint<Pixel>(_ value: Pixel, into out: UnsafeMutableBufferPointer<Pixel>) {
        forEachForegroundRun { x, y0, y1 in
            var index = y0 * width + x
            for _ in y0..<y1 {
                out[index] = value
                index += width
            }
        }
    }

    /// Calls `body(x, yStart, yEnd)` for each vertical piece of foreground, column by column.
    public func forEachForegroundRun(_ body: (Int, Int, Int) -> Void) {
        guard height > 0 else { return }
        var position = 0
        for (index, count) in counts.enumerated() {
            let next = position + Int(count)
            if index % 2 == 1 {
                var p = position
                while p < next {
                    let x = p / height, y = p % height
                    let end = min(next - p, height - y)
                    body(x, y, y + end)
                    p += end
                }
            }
            position = next
        }
    }
}

/// Run lengths of a stream of pixels in COCO order: the first run is background (possibly
/// empty), then runs alternate.
private struct RunCounter {
    private var counts = [UInt32]()
    private var previous = false
    private var run: UInt32 = 0

    mutating func add(_ value: Bool) {
        if value != previous {
            counts.append(run)
            run = 0
            previous = value
        }
        run += 1
    }

    consuming func finish() -> [UInt32] {
        counts.append(run)
        return counts
    }
}
