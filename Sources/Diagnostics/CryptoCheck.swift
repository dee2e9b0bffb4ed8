// libcrypto: SHA-256 of "abc" against the FIPS 180-2 test vector.
import CCrypto

public enum CryptoCheck {
    static let expectedABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    public static func run() -> LibraryCheck {
        let version = String(cString: OpenSSL_version(OPENSSL_VERSION))
            .split(separator: " ").dropFirst().first.map(String.init) ?? "unknown"
        let digest = sha256Hex(Array("abc".utf8))
        return LibraryCheck(library: "libcrypto", version: version, passed: digest == expectedABC,
                            detail: "SHA-256(\"abc\") = \(digest.prefix(16))… "
                                + (digest == expectedABC ? "matches" : "DIFFERS FROM") + " FIPS 180-2")
    }

    /// SHA-256 through EVP, as lowercase hex.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1 else { return "" }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
