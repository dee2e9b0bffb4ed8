// An image file's format and size from its header alone (PNG IHDR, JPEG SOF), so that a data
// set of 200,000 images is checked against its annotations without decoding any pixels.
#if canImport(Glibc)
import Glibc
#endif

public struct ImageHeader: Sendable, Hashable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int

    /// The header of the file at `path`, read with a few small reads (a JPEG's segments are
    /// skipped by their lengths, never read). Nil when the file cannot be opened.
    public static func read(path: String) throws(ImageError) -> ImageHeader? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return try parse { offset, count in
            var bytes = [UInt8](repeating: 0, count: count)
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got > 0 ? Array(bytes[0..<got]) : []
        }
    }

    /// The header from `read(offset, count)`, which returns at most `count` bytes (fewer at
    /// the end of the data).
    public static func parse(_ read: (_ offset: Int, _ count: Int) -> [UInt8]) throws(ImageError) -> ImageHeader {
        let head = read(0, 32)
        switch ImageFormat.sniff(head) {
        case .png:
            // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
            guard head.count >= 24, Array(head[12..<16]) == Array("IHDR".utf8) else {
                throw .truncated(format: .png, detail: "no IHDR chunk")
            }
            return ImageHeader(format: .png, width: bigEndian(head, 16, 4), height: bigEndian(head, 20, 4))
        case .jpeg:
            return try jpeg(read)
        case nil:
            throw .notAnImage
        }
    }

    /// Walks the markers from SOI to the first start-of-frame (SOF0...SOF15 but DHT, JPG, DAC).
    private static func jpeg(_ read: (_ offset: Int, _ count: Int) -> [UInt8]) throws(ImageError) -> ImageHeader {
        var offset = 2
        while true {
            let segment = read(offset, 9)
            guard segment.count >= 4 else { throw .truncated(format: .jpeg, detail: "no start-of-frame marker") }
            guard segment[0] == 0xFF else { throw .corrupt(format: .jpeg, detail: "no marker at byte \(offset)") }
            let marker = segment[1]
            if marker == 0xFF { offset += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { offset += 2; continue }
            if marker == 0xD9 || marker == 0xDA { throw .corrupt(format: .jpeg, detail: "scan data before any start-of-frame") }
            let length = bigEndian(segment, 2, 2)
            guard length >= 2 else { throw .corrupt(format: .jpeg, detail: "segment length \(length) at byte \(offset)") }
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard segment.count >= 9 else { throw .truncated(format: .jpeg, detail: "start-of-frame cut short") }
                return ImageHeader(format: .jpeg, width: bigEndian(segment, 7, 2), height: bigEndian(segment, 5, 2))
            }
            offset += 2 + length
        }
    }

    private static func bigEndian(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int {
        bytes[start..<start + count].reduce(0) { $0 << 8 | Int($1) }
    }
}
