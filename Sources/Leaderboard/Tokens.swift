// Bearer tokens: 256 random bits from OpenSSL, shown once, stored only as SHA-256, compared
// in constant time.
import CCrypto

public enum Tokens {
    public static let prefix = "dpcl_"

    /// A new token: the prefix and 64 hex digits of `RAND_bytes`.
    public static func generate() throws(LeaderboardError) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { throw .internalFailure("the random generator failed") }
        return prefix + Digest.hex(bytes)
    }

    /// The SHA-256 of `text`'s UTF-8, as lowercase hex.
    public static func sha256(_ text: String) -> String { Digest.sha256(Array(text.utf8)) }

    /// Equal strings, in time that depends on their lengths only.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return CRYPTO_memcmp(x, y, x.count) == 0
    }
}
