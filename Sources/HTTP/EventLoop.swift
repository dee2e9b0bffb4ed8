// A serial Dispatch queue that owns a set of connections. Their sockets sit in one epoll set
// whose descriptor a single Dispatch read source watches: one wake-up serves every ready
// socket of the loop. A periodic sweep on the same queue enforces connection deadlines.
//
// Why not a Dispatch source per socket: on Linux libdispatch re-arms every source through its
// manager thread (an eventfd write and a thread wake-up per event), which cost a third of
// the throughput on 2 cores; one source per loop pays that once per batch of events.
import CEpoll
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

final class EventLoop: @unchecked Sendable {
    let queue: DispatchQueue
    /// Shared by every connection of this loop: reads happen one at a time on `queue`.
    let readBuffer: UnsafeMutableRawBufferPointer
    private(set) var connections: [Int32: Connection] = [:]
    private let epollFD: Int32
    private let epollSource: DispatchSourceRead
    private let events: UnsafeMutablePointer<epoll_event>
    private let eventCapacity: Int32 = 256
    private let sweeper: DispatchSourceTimer

    init(index: Int, sweepInterval: Double = 0.1) {
        queue = DispatchQueue(label: "http-loop-\(index)")
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(eventCapacity))
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        epollSource = DispatchSource.makeReadSource(fileDescriptor: epollFD, queue: queue)
        sweeper = DispatchSource.makeTimerSource(queue: queue)
        epollSource.setEventHandler { [weak self] in self?.poll() }
        let descriptor = epollFD
        epollSource.setCancelHandler { Glibc.close(descriptor) }
        epollSource.activate()
        sweeper.schedule(deadline: .now() + sweepInterval, repeating: sweepInterval, leeway: .milliseconds(20))
        sweeper.setEventHandler { [weak self] in self?.sweep() }
        sweeper.activate()
    }

    deinit {
        sweeper.cancel()
        epollSource.cancel()
        events.deallocate()
        readBuffer.deallocate()
    }

    /// False when the epoll set could not be created (out of descriptors at start-up).
    var isUsable: Bool { epollFD >= 0 }

    /// Adds the connection's socket to the epoll set, interested in reads.
    func register(_ connection: Connection) {
        connections[connection.fd] = connection
        control(EPOLL_CTL_ADD, connection.fd, read: true, write: false)
    }

    /// Changes what the loop waits for on this socket (level-triggered).
    func watch(_ connection: Connection, read: Bool, write: Bool) {
        control(EPOLL_CTL_MOD, connection.fd, read: read, write: write)
    }

    /// Removes the socket from the set; the caller closes it after.
    func unregister(_ connection: Connection) {
        connections[connection.fd] = nil
        control(EPOLL_CTL_DEL, connection.fd, read: false, write: false)
    }

    private func control(_ operation: Int32, _ fd: Int32, read: Bool, write: Bool) {
        var event = epoll_event()
        event.events = (read ? EPOLLIN.rawValue | EPOLLRDHUP.rawValue : 0) | (write ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        _ = epoll_ctl(epollFD, operation, fd, &event)
    }

    private func poll() {
        // A few rounds while events keep coming, then yield the queue (timers, new sockets).
        for _ in 0..<4 {
            let count = epoll_wait(epollFD, events, eventCapacity, 0)
            guard count > 0 else { return }
            for index in 0..<Int(count) {
                let event = events[index]
                let fd = event.data.fd
                // A socket closed earlier in this batch is gone from the table: skip its event.
                guard let connection = connections[fd] else { continue }
                let flags = event.events
                if flags & (EPOLLOUT.rawValue | EPOLLERR.rawValue) != 0 { connection.onWritable() }
                if flags & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue | EPOLLERR.rawValue) != 0,
                   connections[fd] === connection {
                    connection.onReadable()
                }
            }
            if count < eventCapacity { return }
        }
    }

    private func sweep() {
        let now = DispatchTime.now().uptimeNanoseconds
        for connection in connections.values where connection.deadline != 0 && now >= connection.deadline {
            connection.expire()
        }
    }
}
