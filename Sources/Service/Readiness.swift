// Whether the service can do its job right now, and if not, why (for GET /readyz).
import Foundation
import HTTP

public struct Readiness: Sendable {
    let dataDirectory: String

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    /// nil when ready, else the reason.
    public func problem(draining: Bool) -> String? {
        if draining { return "shutting down" }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "data directory \(dataDirectory) does not exist"
        }
        guard access(dataDirectory, W_OK) == 0 else { return "data directory \(dataDirectory) is not writable" }
        return nil
    }
}
