// Keeps one forward's buffers for the next forward of the same input size: fresh buffers of
// tens of megabytes would cost page faults and zeroing on every forward.
import Synchronization

final class WorkspaceCache: Sendable {
    private let idle = Mutex<DINOv2.Workspace?>(nil)

    /// The kept buffers when they fit, else new ones (concurrent forwards each get their own).
    func take(geometry: DINOv2.Geometry, workers: Int) -> DINOv2.Workspace {
        let kept = idle.withLock { kept -> DINOv2.Workspace? in
            guard let workspace = kept, workspace.tokens == geometry.tokens, workspace.workers == workers else {
                return nil
            }
            kept = nil
            return workspace
        }
        return kept ?? DINOv2.Workspace(geometry: geometry, workers: workers)
    }

    func give(_ workspace: DINOv2.Workspace) {
        idle.withLock { $0 = workspace }
    }
}
