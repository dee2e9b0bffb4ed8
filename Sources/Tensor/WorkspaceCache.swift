// Keeps one forward's buffers for the next forward of the same sizes: fresh buffers of tens
// of megabytes would cost page faults and zeroing on every forward. The backbone and the
// decoder each keep one.
import Synchronization

/// Buffers of one forward, made for `Sizes` and reusable for equal sizes.
protocol ReusableWorkspace: AnyObject, Sendable {
    associatedtype Sizes: Equatable
    var sizes: Sizes { get }
    init(_ sizes: Sizes)
}

final class WorkspaceCache<Workspace: ReusableWorkspace>: Sendable {
    private let idle = Mutex<Workspace?>(nil)

    /// The kept buffers when they fit, else new ones (concurrent forwards each get their own).
    func take(_ sizes: Workspace.Sizes) -> Workspace {
        let kept = idle.withLock { kept -> Workspace? in
            guard let workspace = kept, workspace.sizes == sizes else { return nil }
            kept = nil
            return workspace
        }
        return kept ?? Workspace(sizes)
    }

    func give(_ workspace: Workspace) {
        idle.withLock { $0 = workspace }
    }
}
