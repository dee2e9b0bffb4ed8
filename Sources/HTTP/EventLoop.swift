// A serial Dispatch queue that owns a set of connections: their sources fire on it, it
// holds their shared read buffer, and a periodic sweep enforces their deadlines.
import Dispatch

final class EventLoop: @unchecked Sendable {
    let queue: DispatchQueue
    /// Shared by every connection of this loop: reads happen one at a time on `queue`.
    let readBuffer: UnsafeMutableRawBufferPointer
    private(set) var connections: [ObjectIdentifier: Connection] = [:]
    private let sweeper: DispatchSourceTimer

    init(index: Int, sweepInterval: Double = 0.1) {
        queue = DispatchQueue(label: "http-loop-\(index)")
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        sweeper = DispatchSource.makeTimerSource(queue: queue)
        sweeper.schedule(deadline: .now() + sweepInterval, repeating: sweepInterval, leeway: .milliseconds(20))
        sweeper.setEventHandler { [weak self] in self?.sweep() }
        sweeper.activate()
    }

    deinit {
        sweeper.cancel()
        readBuffer.deallocate()
    }

    func register(_ connection: Connection) { connections[ObjectIdentifier(connection)] = connection }

    func unregister(_ connection: Connection) { connections[ObjectIdentifier(connection)] = nil }

    private func sweep() {
        let now = DispatchTime.now().uptimeNanoseconds
        for connection in connections.values where connection.deadline != 0 && now >= connection.deadline {
            connection.expire()
        }
    }

    func stop() { sweeper.cancel() }
}
