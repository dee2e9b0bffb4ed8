// COCO's compressed count string (pycocotools rleToString / rleFrString): each count, or
// from the fourth on its difference to the count two before, in 5-bit groups with a
// continuation bit, one character '0'...'o' per group.

extension RLE {
    /// Parses COCO's compressed counts. The result re-encodes to the same string.
    public init(compressed: String, height: Int, width: Int) throws(MaskError) {
        let counts = try RLE.decodeCounts(Array(compressed.utf8))
        try self.init(counts: counts, height: height, width: width)
    }

    /// The compressed count string, byte for byte what pycocotools writes.
    public var compressed: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(counts.count * 2)
        for index in counts.indices {
            var value = Int64(counts[index])
            if index > 2 { value -= Int64(counts[index - 2]) }
            var more = true
            while more {
                var group = UInt8(truncatingIfNeeded: value & 0x1f)
                value >>= 5
                more = (group & 0x10) != 0 ? value != -1 : value != 0
                if more { group |= 0x20 }
                bytes.append(group + 48)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func decodeCounts(_ bytes: [UInt8]) throws(MaskError) -> [UInt32] {
        var counts = [UInt32]()
        counts.reserveCapacity(bytes.count)
        var position = 0
        while position < bytes.count {
            var value: Int64 = 0
            var shift: Int64 = 0
            var more = true
            while more {
                guard position < bytes.count else {
                    throw .malformedCompressedCounts(position: position, reason: "the string ends inside a count")
                }
                let byte = bytes[position]
                guard byte >= 48, byte <= 111 else {
                    throw .malformedCompressedCounts(
                        position: position, reason: "character code \(byte) is outside '0'...'o'")
                }
                // A count is at most 33 bits (a 32-bit difference and its sign): 7 groups.
                guard shift < 35 else {
                    throw .malformedCompressedCounts(position: position, reason: "a count is longer than 7 characters")
                }
                let group = Int64(byte - 48)
                value |= (group & 0x1f) << shift
                more = (group & 0x20) != 0
                position += 1
                shift += 5
                if !more && (group & 0x10) != 0 { value |= -1 << shift }
            }
            if counts.count > 2 { value += Int64(counts[counts.count - 2]) }
            guard let count = UInt32(exactly: value) else {
                throw .countOutOfRange(index: counts.count, value: value)
            }
            counts.append(count)
        }
        return counts
    }
}
