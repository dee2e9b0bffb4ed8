// Keeps recent forwards' buffers for later forwards of the same sizes: fresh buffers of tens
// of megabytes would cost page faults and zeroing on every forward. A few sizes are kept,
// since a matched pair alternates the source's and the target's input sizes. The backbone
// and the decoder each keep their own.
import Synchronization

/// Buffers of one forward, made for `Sizes` and reusable for equal sizes.
protocol ReusableWorkspace: AnyObject, Sendable {
    associatedtype Sizes: Equatable
    var sizes: Sizes { get }
    init(_ sizes: Sizes)
}

final class WorkspaceCache<Workspace: ReusableWorkspace>: Sendable {
    /// Idle workspaces kept, the most recently used last.
    static var capacity: Int { 4 }
    private let idle = Mutex<[Workspace]>([])

    /// Kept buffers of these sizes, else new ones (concurrent forwards each get their own).
    func take(_ sizes: Workspace.Sizes) -> Workspace {
        let kept = idle.withLock { idle -> Workspace? in
            guard let index = idle.lastIndex(where: { $0.sizes == sizes }) else { return nil }
            return idle.remove(at: index)
        }
        return kept ?? Workspace(sizes)
    }

    func give(_ workspace: Workspace) {
        idle.withLock { idle in
            idle.append(workspace)
            if idle.count > Self.capacity { idle.removeFirst() }
        }
    }
}
