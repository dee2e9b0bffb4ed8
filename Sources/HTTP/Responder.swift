// The answer channel of a deferred handler: delivers one response to its connection from
// any thread, and tells whether the client is still there (so queued work can be dropped).
import Foundation

public final class Responder: @unchecked Sendable {
    private let deliver: @Sendable (Response) -> Void
    private let gone: @Sendable () -> Bool
    private let lock = NSLock()
    // Guarded by `lock`: only the first response is sent.
    private var answered = false

    init(deliver: @escaping @Sendable (Response) -> Void, gone: @escaping @Sendable () -> Bool) {
        self.deliver = deliver
        self.gone = gone
    }

    /// Sends `response`; later calls do nothing.
    public func respond(_ response: Response) {
        lock.lock()
        let first = !answered
        answered = true
        lock.unlock()
        if first { deliver(response) }
    }

    /// True once the client closed its connection (or the server closed it).
    public var isClientGone: Bool { gone() }
}
