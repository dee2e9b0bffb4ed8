// libjpeg-turbo: a smooth RGB image encoded to JPEG and decoded back within JPEG's loss.
import CShim

public enum JPEGCheck {
    public static func run() -> LibraryCheck {
        let version = String(cString: dpcl_jpeg_version())
        let (width, height) = (64, 48)
        // A smooth gradient: JPEG at quality 95 keeps it within a few levels.
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8(x * 255 / (width - 1))
                pixels[i + 1] = UInt8(y * 255 / (height - 1))
                pixels[i + 2] = UInt8((x + y) * 255 / (width + height - 2))
            }
        }
        var encoded: UnsafeMutablePointer<UInt8>?
        var encodedSize = 0
        var message = [CChar](repeating: 0, count: Int(DPCL_MESSAGE_CAPACITY))
        let encodeStatus = dpcl_jpeg_encode(pixels, UInt32(width), UInt32(height), 3, 95,
                                            &encoded, &encodedSize, &message)
        defer { dpcl_free(encoded) }
        guard encodeStatus == DPCL_IMAGE_OK, let encoded else {
            return LibraryCheck(library: "libjpeg", version: version, passed: false,
                                detail: "encode failed: " + String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        var result = dpcl_image_result()
        let limits = dpcl_image_limits(max_pixels: 1 << 20, max_side: 4096, max_scans: 100)
        let decodeStatus = dpcl_jpeg_decode_rgb(encoded, encodedSize, limits, &result)
        defer { dpcl_free(result.pixels) }
        guard decodeStatus == DPCL_IMAGE_OK, let decoded = result.pixels else {
            let text = withUnsafeBytes(of: result.message) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            return LibraryCheck(library: "libjpeg", version: version, passed: false,
                                detail: "decode failed: " + text)
        }
        var maxDifference = 0
        for i in 0..<pixels.count { maxDifference = max(maxDifference, abs(Int(decoded[i]) - Int(pixels[i]))) }
        let passed = result.width == width && result.height == height && maxDifference <= 8
        return LibraryCheck(
            library: "libjpeg", version: version, passed: passed,
            detail: "\(width)x\(height) RGB at quality 95 (\(encodedSize) bytes) decoded back, "
                + "max|diff| \(maxDifference) levels")
    }
}
