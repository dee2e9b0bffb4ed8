// libjpeg-turbo: a smooth RGB image encoded to JPEG and decoded back within JPEG's loss,
// through Imaging's encoder and decoder (the code the service runs on uploads).
import CShim
import Imaging

public enum JPEGCheck {
    public static func run() -> LibraryCheck {
        let version = String(cString: dpcl_jpeg_version())
        func failed(_ detail: String) -> LibraryCheck {
            LibraryCheck(library: "libjpeg", version: version, passed: false, detail: detail)
        }
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
        let encoded: [UInt8]
        do {
            encoded = try JPEGEncoder.encode(try RGBImage(width: width, height: height, pixels: pixels), quality: 95)
        } catch {
            return failed("encode failed: \(error)")
        }
        let decoded: RGBImage
        do {
            decoded = try ImageDecoder.decode(encoded, limits: ImageLimits(maxPixels: 1 << 20, maxSide: 4096, maxScans: 100))
        } catch {
            return failed("decode failed: \(error)")
        }
        guard decoded.width == width, decoded.height == height else {
            return failed("decoded \(decoded.width)x\(decoded.height), expected \(width)x\(height)")
        }
        var maxDifference = 0
        for i in 0..<pixels.count { maxDifference = max(maxDifference, abs(Int(decoded.pixels[i]) - Int(pixels[i]))) }
        let passed = maxDifference <= 8
        return LibraryCheck(
            library: "libjpeg", version: version, passed: passed,
            detail: "\(width)x\(height) RGB at quality 95 (\(encoded.count) bytes) decoded back, "
                + "max|diff| \(maxDifference) levels")
    }
}
