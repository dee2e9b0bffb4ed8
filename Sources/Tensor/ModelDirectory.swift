// Where model weights live: outside the repository, in $DPCL_MODEL_DIR or
// ~/.cache/dpcl/models (scripts/fetch-model writes there).
import Foundation

public enum ModelDirectory {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let configured = environment["DPCL_MODEL_DIR"], !configured.isEmpty { return configured }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/dpcl/models"
    }
}
