// libpng: an RGB image encoded to PNG in memory and decoded back, pixel for pixel.
import CPNG

public enum PNGCheck {
    public static func run() -> LibraryCheck {
        let version = String(cString: png_get_libpng_ver(nil))
        let (width, height) = (48, 32)
        var pattern = TestPattern(seed: 11)
        let pixels = (0..<width * height * 3).map { _ in pattern.nextByte() }
        do {
            let encoded = try encode(pixels, width: width, height: height)
            let decoded = try decode(encoded)
            let passed = decoded.width == width && decoded.height == height && decoded.pixels == pixels
            return LibraryCheck(
                library: "libpng", version: version, passed: passed,
                detail: "\(width)x\(height) RGB encoded (\(encoded.count) bytes) and decoded back "
                    + (passed ? "identical" : "DIFFERENT"))
        } catch {
            return LibraryCheck(library: "libpng", version: version, passed: false, detail: "\(error)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func encode(_ pixels: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_RGB)
        var size = 0
        // First call measures, second writes.
        guard png_image_write_to_memory(&image, nil, &size, 0, pixels, 0, nil) != 0 else {
            throw Failure(description: "png_image_write_to_memory: " + message(of: image))
        }
        var output = [UInt8](repeating: 0, count: size)
        guard png_image_write_to_memory(&image, &output, &size, 0, pixels, 0, nil) != 0 else {
            throw Failure(description: "png_image_write_to_memory: " + message(of: image))
        }
        return Array(output.prefix(size))
    }

    static func decode(_ bytes: [UInt8]) throws -> (pixels: [UInt8], width: Int, height: Int) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, bytes, bytes.count) != 0 else {
            throw Failure(description: "png_image_begin_read_from_memory: " + message(of: image))
        }
        defer { png_image_free(&image) }
        image.format = UInt32(PNG_FORMAT_RGB)
        let (width, height) = (Int(image.width), Int(image.height))
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        guard png_image_finish_read(&image, nil, &pixels, 0, nil) != 0 else {
            throw Failure(description: "png_image_finish_read: " + message(of: image))
        }
        return (pixels, width, height)
    }

    private static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
