// Each system-library check, run for real against the libraries this build links.
import Testing
@testable import Diagnostics

@Suite struct DoctorTests {
    @Test func blasProductMatchesNaiveLoop() {
        let check = BLASCheck.run()
        #expect(check.passed, "\(check.detail)")
        #expect(check.version.first?.isNumber == true)
    }

    @Test func naiveProductIsAProduct() {
        // 2x2: [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]
        #expect(BLASCheck.naiveProduct([1, 2, 3, 4], [5, 6, 7, 8], n: 2) == [19, 22, 43, 50])
    }

    @Test func pngRoundTripIsLossless() throws {
        let pixels: [UInt8] = (0..<(5 * 3 * 3)).map { UInt8($0 * 5) }
        let encoded = try PNGCheck.encode(pixels, width: 5, height: 3)
        #expect(encoded.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let decoded = try PNGCheck.decode(encoded)
        #expect(decoded.width == 5 && decoded.height == 3)
        #expect(decoded.pixels == pixels)
        #expect(PNGCheck.run().passed)
    }

    @Test func pngDecodeRejectsGarbage() {
        #expect(throws: PNGCheck.Failure.self) { try PNGCheck.decode([1, 2, 3, 4, 5, 6, 7, 8]) }
    }

    @Test func jpegRoundTripStaysClose() {
        let check = JPEGCheck.run()
        #expect(check.passed, "\(check.detail)")
        #expect(check.version.hasPrefix("2.") || check.version.hasPrefix("3."))
    }

    @Test func sqliteQueriesInMemory() throws {
        #expect(try SQLiteCheck.query("CREATE TABLE t(x); INSERT INTO t VALUES (2), (3);",
                                      then: "SELECT x * 10 FROM t ORDER BY x DESC") == 30)
        #expect(throws: SQLiteCheck.Failure.self) { try SQLiteCheck.query("", then: "SELECT FROM nowhere") }
        #expect(SQLiteCheck.run().passed)
    }

    @Test func sha256KnownVectors() {
        #expect(CryptoCheck.sha256Hex(Array("abc".utf8)) == CryptoCheck.expectedABC)
        #expect(CryptoCheck.sha256Hex([])
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(CryptoCheck.run().passed)
    }

    @Test func oneDNNRunsEachPrecisionAgainstAFloat64Reference() {
        let check = OneDNNCheck.run()
        #expect(check.passed, "\(check.detail)")
        #expect(check.detail.contains("fp32 ") && check.detail.contains("bf16 ") && check.detail.contains("int8 "))
        #expect(check.detail.contains("isa "))
    }

    @Test func zlibRoundTrip() {
        let check = ZlibCheck.run()
        #expect(check.passed, "\(check.detail)")
    }

    @Test func doctorRunsEveryLibrary() {
        let names = Doctor.runAll().map(\.library)
        #expect(names == ["openblas", "onednn", "libpng", "libjpeg", "sqlite", "libcrypto", "zlib"])
    }
}
