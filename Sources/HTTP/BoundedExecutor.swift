// A fixed pool of worker threads with a bounded job queue for CPU-bound handlers. Submitting
// never blocks: a full queue is refused, and the server answers 503 with Retry-After.
import Foundation

public final class BoundedExecutor: @unchecked Sendable {
    public let workers: Int
    public let capacity: Int
    private let condition = NSCondition()
    // Guarded by `condition`: a ring buffer of pending jobs.
    private var ring: [(@Sendable () -> Void)?]
    private var head = 0
    private var count = 0
    private var stopping = false
    private var threads: [Thread] = []
    private let onDepthChange: @Sendable (Int) -> Void

    public init(workers: Int, capacity: Int, onDepthChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.workers = max(1, workers)
        self.capacity = max(1, capacity)
        self.ring = Array(repeating: nil, count: max(1, capacity))
        self.onDepthChange = onDepthChange
        for index in 0..<self.workers {
            // Workers hold the executor until `shutdown()` lets them end.
            let thread = Thread { self.work() }
            thread.name = "http-worker-\(index)"
            threads.append(thread)
            thread.start()
        }
    }

    /// Jobs waiting for a worker.
    public var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// Queues the job; false when the queue is full or the executor is stopping.
    public func trySubmit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        guard !stopping, count < capacity else {
            condition.unlock()
            return false
        }
        ring[(head + count) % capacity] = job
        count += 1
        let depth = count
        condition.signal()
        condition.unlock()
        onDepthChange(depth)
        return true
    }

    /// Lets queued jobs finish, then ends the workers.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while count == 0 && !stopping { condition.wait() }
            if count == 0 && stopping {
                condition.unlock()
                return
            }
            let job = ring[head]
            ring[head] = nil
            head = (head + 1) % capacity
            count -= 1
            let depth = count
            condition.unlock()
            onDepthChange(depth)
            job?()
        }
    }
}
