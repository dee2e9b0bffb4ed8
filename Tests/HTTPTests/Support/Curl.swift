// Runs the real curl binary against a test server and reports what it printed and how long
// it took.
import Foundation
import TestSupport

struct CurlResult {
    let status: Int32
    let stdout: String
    let stderr: String
    let seconds: Double
}

enum Curl {
    /// `quiet` false keeps curl's warnings (such as its retry notices) on stderr.
    static func run(_ arguments: [String], stdin: Data? = nil, quiet: Bool = true) throws -> CurlResult {
        let flags = (quiet ? ["--silent", "--show-error"] : ["--no-progress-meter"]) + ["--max-time", "20"]
        let result = try Subprocess.run("/usr/bin/curl", flags + arguments, stdin: stdin)
        return CurlResult(status: result.status, stdout: result.stdoutText, stderr: result.stderrText, seconds: result.seconds)
    }

    /// A temporary file of `size` pseudo-random bytes; removed by the caller.
    static func temporaryFile(size: Int) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "http-test-\(UUID().uuidString).bin")
        var generator = SplitMix64(seed: UInt64(size))
        var bytes = [UInt8](repeating: 0, count: size)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
        try Data(bytes).write(to: url)
        return url
    }
}
