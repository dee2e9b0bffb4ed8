// PNG encoding through libpng (C shim) of the four pixel layouts the service writes.
import CShim

/// Pixels to encode, row-major with no padding.
public enum PNGRaster: Sendable {
    case rgb([UInt8])
    case rgba([UInt8])
    case gray8([UInt8])
    case gray16([UInt16])
}

public enum PNGEncoder {
    /// Encodes `raster` of `width` x `height` at zlib `level` 0 (store) ... 9 (smallest).
    public static func encode(_ raster: PNGRaster, width: Int, height: Int, level: Int = 6) throws(ImageError) -> [UInt8] {
        guard width > 0, height > 0, width <= 1_000_000, height <= 1_000_000 else {
            throw .invalidPixels(detail: "PNG size \(width)x\(height) is outside 1...1000000 per side")
        }
        guard (0...9).contains(level) else { throw .invalidPixels(detail: "zlib level \(level) is outside 0...9") }
        let pixels = width * height
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(DPCL_MESSAGE_CAPACITY))
        func run(_ buffer: UnsafeRawBufferPointer, _ format: dpcl_png_format, _ channels: Int) throws(ImageError) -> dpcl_image_status {
            guard buffer.count == pixels * channels else {
                throw .invalidPixels(detail: "\(buffer.count) bytes for \(width)x\(height) with \(channels) bytes per pixel")
            }
            return dpcl_png_encode(buffer.baseAddress, UInt32(width), UInt32(height), format, Int32(level),
                                   &out, &size, &message)
        }
        let status: dpcl_image_status
        switch raster {
        case let .rgb(values): status = try withBytes(values) { b throws(ImageError) in try run(b, DPCL_PNG_RGB8, 3) }
        case let .rgba(values): status = try withBytes(values) { b throws(ImageError) in try run(b, DPCL_PNG_RGBA8, 4) }
        case let .gray8(values): status = try withBytes(values) { b throws(ImageError) in try run(b, DPCL_PNG_GRAY8, 1) }
        case let .gray16(values): status = try withBytes(values) { b throws(ImageError) in try run(b, DPCL_PNG_GRAY16, 2) }
        }
        defer { dpcl_free(out) }
        guard status == DPCL_IMAGE_OK, let out else {
            let text = ShimMessage.text(in: message)
            throw status == DPCL_IMAGE_NO_MEMORY ? .outOfMemory(detail: text) : .invalidPixels(detail: text)
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// Encodes a decoded picture.
    public static func encode(_ image: RGBImage, level: Int = 6) throws(ImageError) -> [UInt8] {
        try encode(.rgb(image.pixels), width: image.width, height: image.height, level: level)
    }

    private static func withBytes<T>(
        _ values: [T], _ body: (UnsafeRawBufferPointer) throws(ImageError) -> dpcl_image_status
    ) throws(ImageError) -> dpcl_image_status {
        let result = values.withUnsafeBytes { buffer in
            Result { () throws(ImageError) in try body(buffer) }
        }
        return try result.get()
    }
}
