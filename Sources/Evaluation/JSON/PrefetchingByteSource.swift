// Runs an upstream source (a file, or gzip inflation) on its own thread, a few blocks
// ahead of the reader, so that inflating the next block overlaps with parsing this one.
import Foundation

public final class PrefetchingByteSource: ByteSource {
    /// What the producer thread and the consumer share, behind one condition variable.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        let upstream: ByteSource
        let blockSize: Int
        var free: [UnsafeMutablePointer<UInt8>]
        /// Filled blocks in stream order, with their byte counts (0 marks the end).
        var filled: [(block: UnsafeMutablePointer<UInt8>, count: Int)] = []
        var failure: Error?
        var cancelled = false
        let all: [UnsafeMutablePointer<UInt8>]

        init(upstream: ByteSource, blockSize: Int, blocks: Int) {
            self.upstream = upstream
            self.blockSize = blockSize
            all = (0..<blocks).map { _ in .allocate(capacity: blockSize) }
            free = all
        }

        deinit { all.forEach { $0.deallocate() } }

        /// The producer loop: take a free block, fill it, hand it over; stop at the end,
        /// on an error, or when the consumer has gone.
        func produce() {
            while true {
                condition.lock()
                while free.isEmpty && !cancelled { condition.wait() }
                if cancelled {
                    condition.unlock()
                    return
                }
                let block = free.removeLast()
                condition.unlock()
                var count = 0
                var error: Error?
                do {
                    count = try upstream.read(into: block, capacity: blockSize)
                } catch let caught {
                    error = caught
                }
                condition.lock()
                if let error { failure = error }
                filled.append((block, count))
                let done = count == 0 || error != nil
                condition.broadcast()
                condition.unlock()
                if done { return }
            }
        }
    }

    private let shared: Shared
    private var current: (block: UnsafeMutablePointer<UInt8>, count: Int)?
    private var offset = 0
    private var ended = false

    /// `blocks` buffers of `blockSize` bytes are in flight at most.
    public init(upstream: ByteSource, blockSize: Int = 1 << 20, blocks: Int = 4) {
        shared = Shared(upstream: upstream, blockSize: max(1, blockSize), blocks: max(2, blocks))
        let shared = self.shared
        let thread = Thread { shared.produce() }
        thread.name = "byte-prefetch"
        thread.start()
    }

    deinit {
        shared.condition.lock()
        shared.cancelled = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        if ended { return 0 }
        if current == nil {
            shared.condition.lock()
            while shared.filled.isEmpty { shared.condition.wait() }
            let next = shared.filled.removeFirst()
            let failure = shared.failure
            shared.condition.unlock()
            if next.count == 0 {
                ended = true
                giveBack(next.block)
                if let failure { throw failure }
                return 0
            }
            current = next
            offset = 0
        }
        guard let block = current else { return 0 }
        let count = min(capacity, block.count - offset)
        buffer.update(from: block.block + offset, count: count)
        offset += count
        if offset == block.count {
            current = nil
            giveBack(block.block)
        }
        return count
    }

    private func giveBack(_ block: UnsafeMutablePointer<UInt8>) {
        shared.condition.lock()
        shared.free.append(block)
        shared.condition.broadcast()
        shared.condition.unlock()
    }
}
