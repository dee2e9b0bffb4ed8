// SHA-256 computed piece by piece over OpenSSL's EVP digest API, for bodies that never sit
// in memory whole.
import CCrypto

final class SHA256Stream {
    private let context: OpaquePointer

    init() throws(UploadError) {
        guard let context = EVP_MD_CTX_new() else { throw UploadError(.digest, code: 0) }
        self.context = context
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { throw UploadError(.digest, code: 0) }
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) throws(UploadError) {
        guard EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1 else { throw UploadError(.digest, code: 0) }
    }

    /// The digest as lowercase hex; the stream is spent afterwards.
    func finish() throws(UploadError) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1 else { throw UploadError(.digest, code: 0) }
        var hex: [UInt8] = []
        hex.reserveCapacity(Int(length) * 2)
        for byte in digest.prefix(Int(length)) {
            hex.append(Self.hexDigits[Int(byte >> 4)])
            hex.append(Self.hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
