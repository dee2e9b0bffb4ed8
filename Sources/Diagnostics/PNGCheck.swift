// libpng: an RGB image encoded to PNG in memory and decoded back, pixel for pixel, through
// Imaging's encoder and decoder (the code the service runs on uploads).
import CShim
import Imaging

public enum PNGCheck {
    public static func run() -> LibraryCheck {
        let version = String(cString: dpcl_png_version())
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
        do {
            return try PNGEncoder.encode(.rgb(pixels), width: width, height: height)
        } catch {
            throw Failure(description: "PNG encode: \(error)")
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> (pixels: [UInt8], width: Int, height: Int) {
        guard ImageFormat.sniff(bytes) == .png else { throw Failure(description: "PNG decode: not a PNG") }
        do {
            let image = try ImageDecoder.decode(bytes)
            return (image.pixels, image.width, image.height)
        } catch {
            throw Failure(description: "PNG decode: \(error)")
        }
    }
}
