// zlib: a buffer compressed and uncompressed back, byte for byte.
import CZlib

public enum ZlibCheck {
    public static func run() -> LibraryCheck {
        let version = String(cString: zlibVersion())
        let original = Array(String(repeating: "multi-instance semantic correspondence ", count: 200).utf8)
        var compressedSize = compressBound(uLong(original.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        guard compress2(&compressed, &compressedSize, original, uLong(original.count), 9) == Z_OK else {
            return LibraryCheck(library: "zlib", version: version, passed: false, detail: "compress2 failed")
        }
        var restoredSize = uLong(original.count)
        var restored = [UInt8](repeating: 0, count: original.count)
        let status = uncompress(&restored, &restoredSize, compressed, compressedSize)
        let passed = status == Z_OK && restored == original && compressedSize < original.count
        return LibraryCheck(
            library: "zlib", version: version, passed: passed,
            detail: "\(original.count) bytes compressed to \(compressedSize) and restored "
                + (passed ? "identical" : "DIFFERENT (status \(status))"))
    }
}
