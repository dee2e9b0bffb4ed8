// Baseline JPEG encoding through libjpeg-turbo (C shim), for pictures where size matters
// more than exactness.
import CShim

public enum JPEGEncoder {
    /// Encodes `image` at `quality` 1...100 (4:2:0, libjpeg's defaults).
    public static func encode(_ image: RGBImage, quality: Int = 90) throws(ImageError) -> [UInt8] {
        guard (1...100).contains(quality) else { throw .invalidPixels(detail: "JPEG quality \(quality) is outside 1...100") }
        guard image.width <= 65500, image.height <= 65500 else {
            throw .invalidPixels(detail: "JPEG cannot hold \(image.width)x\(image.height) pixels (65500 per side at most)")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(DPCL_MESSAGE_CAPACITY))
        let status = dpcl_jpeg_encode(image.pixels, UInt32(image.width), UInt32(image.height), 3, Int32(quality),
                                      &out, &size, &message)
        defer { dpcl_free(out) }
        guard status == DPCL_IMAGE_OK, let out else {
            throw .invalidPixels(detail: ShimMessage.text(in: message))
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
