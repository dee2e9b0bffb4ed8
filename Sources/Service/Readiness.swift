// Whether the service can do its job right now, and if not, why (for GET /readyz).
import Foundation
import HTTP

public struct Readiness: Sendable {
    /// nil for a role that keeps no state (inference).
    let dataDirectory: String?
    let model: ModelHost
    /// Why the leaderboard's database could not be opened; nil when it was.
    let leaderboardProblem: String?

    public init(dataDirectory: String?, model: ModelHost = ModelHost(), leaderboardProblem: String? = nil) {
        self.dataDirectory = dataDirectory
        self.model = model
        self.leaderboardProblem = leaderboardProblem
    }

    /// nil when ready, else the reason.
    public func problem(draining: Bool) -> String? {
        if draining { return "shutting down" }
        if let dataDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                return "data directory \(dataDirectory) does not exist"
            }
            guard access(dataDirectory, W_OK) == 0 else { return "data directory \(dataDirectory) is not writable" }
        }
        if let leaderboardProblem { return leaderboardProblem }
        switch model.state {
        case .none, .ready: return nil
        case .loading: return "the model is loading and warming up"
        case .failed(let reason): return "the model failed to load: \(reason)"
        }
    }
}
