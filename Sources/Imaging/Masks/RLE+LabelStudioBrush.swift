// Label Studio's brush masks: an RGBA image's bytes (height x width x 4, row-major), run-length
// coded in a bit stream with its own header, as the brushlabels result's `value.rle` holds it.

extension RLE {
    /// The mask of a brush `rle` on an image of `height` x `width`: the pixels whose alpha
    /// byte is non-zero, the layer Label Studio's own converter reads.
    ///
    /// The stream is a 32-bit count of bytes, a 5-bit word size - 1, four 4-bit run-length
    /// widths - 1, then records until the count is reached: a 1 bit for a run (one word
    /// repeated) or a 0 bit for that many literal words, a 2-bit choice of width, the length
    /// - 1 in that width, then the word(s). Bits are read most significant first.
    public init(labelStudioBrush rle: [Int], height: Int, width: Int) throws(MaskError) {
        let size = try RLE.checkedSize(height: height, width: width)
        var bytes = [UInt8]()
        bytes.reserveCapacity(rle.count)
        for (index, value) in rle.enumerated() {
            guard let byte = UInt8(exactly: value) else { throw .malformedBrush(reason: "byte \(index) is \(value), not in 0...255") }
            bytes.append(byte)
        }
        var stream = BitReader(bytes: bytes)
        let count = try stream.read(32), wordSize = try stream.read(5) + 1
        let widths = [try stream.read(4) + 1, try stream.read(4) + 1, try stream.read(4) + 1, try stream.read(4) + 1]
        guard count == size.pixelCount * 4 else {
            throw .malformedBrush(reason: "it holds \(count) bytes, an RGBA image of [\(height), \(width)] has \(size.pixelCount * 4)")
        }
        var alpha = [UInt8](repeating: 0, count: size.pixelCount)
        var start = 0
        while start < count {
            let isRun = try stream.read(1) == 1
            let end = start + 1 + (try stream.read(widths[try stream.read(2)]))
            guard end <= count else { throw .malformedBrush(reason: "a run ends at byte \(end), past the image's \(count)") }
            if isRun {
                // Pixel p's alpha is byte 4p + 3: the pixels from start/4 up to end/4.
                if try stream.read(wordSize) != 0 {
                    for pixel in start / 4..<end / 4 { alpha[pixel] = 1 }
                }
            } else {
                for byte in start..<end {
                    if try stream.read(wordSize) != 0 && byte % 4 == 3 { alpha[byte / 4] = 1 }
                }
            }
            start = end
        }
        try self.init(rowMajor: alpha, height: height, width: width)
    }

    /// The brush `rle` of this mask, byte for byte what Label Studio's converter writes for
    /// it: every channel 255 on the mask, 0 elsewhere, in runs of at most 65536 bytes with
    /// run-length widths 3, 4, 8 and 16 bits and 8-bit words.
    public func labelStudioBrush() -> [UInt8] {
        let pixels = rowMajorMask()
        var stream = BitWriter()
        stream.write(pixels.count * 4, bits: 32)
        stream.write(8 - 1, bits: 5)
        for width in [3, 4, 8, 16] { stream.write(width - 1, bits: 4) }
        var start = 0
        while start < pixels.count {
            var end = start + 1
            while end < pixels.count && pixels[end] == pixels[start] { end += 1 }
            var remaining = (end - start) * 4
            let word = pixels[start] == 0 ? 0 : 255
            while remaining > 0 {
                let length = min(remaining, 1 << 16)
                let choice = length <= 8 ? 0 : length <= 16 ? 1 : length <= 256 ? 2 : 3
                stream.write(1, bits: 1)
                stream.write(choice, bits: 2)
                stream.write(length - 1, bits: [3, 4, 8, 16][choice])
                stream.write(word, bits: 8)
                remaining -= length
            }
            start = end
        }
        // The converter pads to the next byte, a whole zero byte when already aligned.
        stream.write(0, bits: 8 - stream.bitCount % 8)
        return stream.bytes
    }
}

private struct BitReader {
    let bytes: [UInt8]
    var position = 0

    mutating func read(_ bits: Int) throws(MaskError) -> Int {
        guard position + bits <= bytes.count * 8 else {
            throw .malformedBrush(reason: "it ends at bit \(bytes.count * 8), in the middle of a field")
        }
        var value = 0
        for _ in 0..<bits {
            value = value << 1 | Int(bytes[position >> 3] >> (7 - UInt8(position & 7)) & 1)
            position += 1
        }
        return value
    }
}

private struct BitWriter {
    var bytes: [UInt8] = []
    var bitCount = 0

    mutating func write(_ value: Int, bits: Int) {
        for shift in stride(from: bits - 1, through: 0, by: -1) {
            if bitCount % 8 == 0 { bytes.append(0) }
            bytes[bytes.count - 1] |= UInt8(value >> shift & 1) << (7 - UInt8(bitCount % 8))
            bitCount += 1
        }
    }
}
