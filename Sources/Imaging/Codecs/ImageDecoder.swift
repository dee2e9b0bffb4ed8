// Decoding of user-supplied JPEG and PNG bytes to 8-bit RGB through the C shim, which
// turns libjpeg's and libpng's longjmp errors into status codes.
import CShim

public enum ImageDecoder {
    /// Decodes JPEG (baseline, progressive, gray, YCbCr, RGB, CMYK, YCCK) or PNG (gray,
    /// gray+alpha, RGB, RGBA, palette, 1-16 bits, interlaced) to 8-bit RGB.
    ///
    /// - The format is sniffed from the bytes.
    /// - Alpha (and PNG tRNS) is dropped, not composited; 16-bit PNG samples keep their high
    ///   byte; gamma and ICC profiles are not applied (as Pillow's `convert("RGB")`).
    /// - EXIF orientation is NOT applied: pixels come in stored order, the order COCO-style
    ///   annotations refer to.
    /// - Declared dimensions are checked against `limits` before any pixel buffer is allocated.
    public static func decode(_ bytes: [UInt8], limits: ImageLimits = .default) throws(ImageError) -> RGBImage {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ImageError) in try decode(buffer: buffer, limits: limits) }
        }
        return try result.get()
    }

    /// The same, for bytes held elsewhere (a request body, a memory-mapped file).
    public static func decode(buffer: UnsafeRawBufferPointer, limits: ImageLimits = .default) throws(ImageError) -> RGBImage {
        guard let format = ImageFormat.sniff(buffer) else { throw .notAnImage }
        let bytes = buffer.bindMemory(to: UInt8.self)
        var result = dpcl_image_result()
        let status = switch format {
        case .jpeg: dpcl_jpeg_decode_rgb(bytes.baseAddress, bytes.count, limits.c, &result)
        case .png: dpcl_png_decode_rgb(bytes.baseAddress, bytes.count, limits.c, &result)
        }
        defer { dpcl_free(result.pixels) }
        guard status == DPCL_IMAGE_OK, let pixels = result.pixels else {
            throw ImageError(status: status, format: format, message: ShimMessage.text(of: result.message),
                             limits: limits, declared: (Int(result.width), Int(result.height)))
        }
        let count = Int(result.width) * Int(result.height) * 3
        return try RGBImage(width: Int(result.width), height: Int(result.height),
                            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }
}

extension ImageLimits {
    var c: dpcl_image_limits {
        dpcl_image_limits(max_pixels: UInt64(clamping: max(maxPixels, 0)),
                          max_side: UInt32(clamping: max(maxSide, 0)),
                          max_scans: UInt32(clamping: max(maxScans, 0)))
    }
}

extension ImageError {
    init(status: dpcl_image_status, format: ImageFormat, message: String, limits: ImageLimits,
         declared: (width: Int, height: Int)?) {
        switch status {
        case DPCL_IMAGE_NOT_IMAGE: self = .notAnImage
        case DPCL_IMAGE_TRUNCATED: self = .truncated(format: format, detail: message)
        case DPCL_IMAGE_TOO_LARGE:
            self = .tooLarge(width: declared?.width ?? 0, height: declared?.height ?? 0, limits: limits)
        case DPCL_IMAGE_TOO_MANY_SCANS: self = .tooManyScans(limit: limits.maxScans)
        case DPCL_IMAGE_UNSUPPORTED: self = .unsupported(format: format, detail: message)
        case DPCL_IMAGE_NO_MEMORY: self = .outOfMemory(detail: message)
        default: self = .corrupt(format: format, detail: message)
        }
    }
}

/// Reading the fixed-size C message buffers.
enum ShimMessage {
    static func text<T>(of tuple: T) -> String {
        withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The text of a message buffer allocated on the Swift side (the encoders').
    static func text(in buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
