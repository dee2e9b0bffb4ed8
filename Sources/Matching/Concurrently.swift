// Work started on another core while the caller goes on, and waited for where its result
// is needed (the masks' guide is prepared while the matches are found).
import Dispatch

final class Concurrently<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchGroup()
    // Written once, before `done` is left; read only after waiting on it.
    private var result: Value?

    init(_ work: @escaping @Sendable () -> Value) {
        done.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = work()
            done.leave()
        }
    }

    /// The work's result, waiting for it if it is still running.
    var value: Value {
        done.wait()
        return result!
    }
}
