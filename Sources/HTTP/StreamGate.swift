// Back-pressure for streamed bodies: the producer (on an executor worker) waits while more
// than `limit` bytes it handed over are still unwritten, so a slow reader bounds memory.
import Foundation

final class StreamGate: @unchecked Sendable {
    private let condition = NSCondition()
    private let limit: Int
    // Guarded by `condition`.
    private var outstanding = 0
    private var cancelled = false

    init(limit: Int) { self.limit = limit }

    /// Producer side: blocks until there is room; false once the connection is gone.
    func admit(_ count: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while outstanding > limit && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        outstanding += count
        return true
    }

    /// Connection side: `count` bytes of the stream reached the socket.
    func release(_ count: Int) {
        condition.lock()
        outstanding -= count
        condition.broadcast()
        condition.unlock()
    }

    /// The connection closed: producers stop waiting and their writes are dropped.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
