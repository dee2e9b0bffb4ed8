// One client connection: a non-blocking socket whose readiness its event loop reports, handled
// on the loop's queue. Requests are parsed as bytes arrive, each head routed as soon as it is
// parsed (so a streaming route's body goes to a file), and answered strictly in order.
import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

final class Connection: @unchecked Sendable {
    enum Phase {
        case open
        /// The response being written is the last one; then `lingering`.
        case closingAfterWrite
        /// Write side shut down; unread request bytes are drained until EOF or the deadline.
        case lingering
        case closed
    }

    enum DeadlineKind {
        case none, head, body, keepAlive, write, linger
    }

    enum Pending {
        /// A whole request, routed when its head was parsed; a streaming route's body is in
        /// the file, written but not yet synced.
        case request(ParsedRequest, Routing, TemporaryUpload?)
        /// A request answered before (the rest of) its body was read; the connection closes.
        case refusal(Routing, Response)
        case failure(ParseError)
        case reject(Response)
    }

    let fd: Int32
    let loop: EventLoop
    let context: ServerContext
    var parser: RequestParser
    var events: [RequestParser.Event] = []
    /// The routing of the request whose head was parsed last, until its body is complete.
    var routing: Routing?
    /// The file of the body being streamed; nil when the body is kept in memory.
    var upload: TemporaryUpload?
    var pending: [Pending] = []
    var inFlight = false
    var streaming = false
    var phase = Phase.open
    var out: [UInt8] = []
    var outOffset = 0
    /// What the loop's epoll set waits for on this socket.
    var readSuspended = false
    var wantsWrite = false
    var peerClosed = false
    var continueOwed = false
    /// The back-pressure gate of the body being streamed, and its bytes written since the
    /// last release.
    var streamGate: StreamGate?
    var streamBytesUnreleased = 0
    var requestsServed = 0
    /// Monotonic nanoseconds after which `expire()` runs; 0 for none. Read by the sweep.
    var deadline: UInt64 = 0
    var deadlineKind = DeadlineKind.none

    /// The client's IP address, as text.
    let clientAddress: String

    init(fd: Int32, loop: EventLoop, context: ServerContext, clientAddress: String = "") {
        self.fd = fd
        self.clientAddress = clientAddress
        self.loop = loop
        self.context = context
        self.parser = RequestParser(limits: context.configuration.limits)
        out.reserveCapacity(4096)
    }

    /// Runs on the loop's queue. `reject` answers once (503 over the connection cap) and closes.
    func start(reject: Response? = nil) {
        loop.register(self)
        if let reject {
            pending.append(.reject(reject))
            processNext()
            flush(progress: false)
        }
        updateDeadline(progress: false)
    }

    // MARK: reading

    func onReadable() {
        guard phase != .closed else { return }
        let buffer = loop.readBuffer
        let count = read(fd, buffer.baseAddress, buffer.count)
        if count > 0 {
            guard phase == .open, !parser.hasFailed, !peerClosed else { return }  // draining unread bytes
            consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        } else if count == 0 {
            onPeerClosed()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            close()
        }
    }

    func consume(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        var failure: ParseError?
        // The parser stops after each head whose body follows: the head is routed (and a
        // streaming route's upload admitted or refused) before a byte of that body is parsed.
        parsing: repeat {
            events.removeAll(keepingCapacity: true)
            do {
                index = try parser.parse(bytes, from: index, into: &events)
            } catch {
                failure = error
            }
            for event in events {
                // A refused request ends parsing: whatever followed it in this read is void.
                guard handle(event, in: bytes) else { break parsing }
            }
        } while failure == nil && index < bytes.count
        if let failure {
            upload = nil
            pending.append(.failure(failure))
        }
        processNext()
        if phase == .open && pending.count >= context.configuration.limits.maxPipelinedRequests { suspendRead() }
        if phase != .closed { flush(progress: false) }
        updateDeadline(progress: true)
    }

    /// False when the request was refused and parsing stopped.
    private func handle(_ event: RequestParser.Event, in bytes: UnsafeRawBufferPointer) -> Bool {
        switch event {
        case .head(let head):
            guard route(head) else { return false }
            if head.expectsContinue {
                if hasNothingOwed && parser.bodyBytesReceived == 0 && parser.isReadingBody {
                    out.append(contentsOf: ResponseWriter.continueLine)
                } else {
                    continueOwed = parser.isReadingBody
                }
            }
        case .body(let range):
            return store(UnsafeRawBufferPointer(rebasing: bytes[range]))
        case .request(let request):
            continueOwed = false
            return complete(request)
        }
        return true
    }

    /// No more requests are read: later bytes are drained unread, and a body being streamed
    /// is abandoned (releasing its file removes it).
    func stopParsing() {
        parser.stop()
        upload = nil
    }

    /// No answer is being made, queued or written (a paused stream counts as one being made).
    var hasNothingOwed: Bool { !inFlight && !streaming && pending.isEmpty && outOffset == out.count }

    func onPeerClosed() {
        peerClosed = true
        suspendRead()  // EOF stays readable: stop the source from firing again
        switch phase {
        case .lingering, .closed:
            close()
        case .open, .closingAfterWrite:
            stopParsing()
            if hasNothingOwed { close() }
        }
    }

    /// Whether the client has gone, asked from another thread through the loop's queue. The
    /// socket is peeked too: the loop may not have read the client's FIN yet (it left a
    /// moment ago), and a client that has gone must not cost a job.
    func isPeerGone() -> Bool {
        if peerClosed || phase == .closed { return true }
        var byte: UInt8 = 0
        let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { onPeerClosed() }
        return peerClosed || phase == .closed
    }

    func suspendRead() {
        guard !readSuspended, phase != .closed else { return }
        readSuspended = true
        loop.watch(self, read: false, write: wantsWrite)
    }

    func resumeRead() {
        guard readSuspended, !peerClosed, phase != .closed else { return }
        readSuspended = false
        loop.watch(self, read: true, write: wantsWrite)
    }

    // MARK: writing

    func flush(progress: Bool) {
        var progress = progress
        while outOffset < out.count {
            let written = out.withUnsafeBytes { bytes in
                write(fd, bytes.baseAddress! + outOffset, bytes.count - outOffset)
            }
            if written > 0 {
                outOffset += written
                progress = true
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                enableWriteSource()
                updateDeadline(progress: progress)
                return
            } else {
                close()
                return
            }
        }
        if out.capacity > 1 << 20 { out = [] } else { out.removeAll(keepingCapacity: true) }
        outOffset = 0
        if streamBytesUnreleased > 0 {
            streamGate?.release(streamBytesUnreleased)
            streamBytesUnreleased = 0
        }
        disableWriteSource()
        if inFlight || streaming {
            updateDeadline(progress: progress)
            return
        }
        if phase == .closingAfterWrite {
            startLinger()
        } else if peerClosed && pending.isEmpty {
            close()
        } else {
            updateDeadline(progress: progress)
        }
    }

    func onWritable() {
        guard phase != .closed else { return }
        flush(progress: false)
    }

    func enableWriteSource() {
        guard !wantsWrite, phase != .closed else { return }
        wantsWrite = true
        loop.watch(self, read: !readSuspended, write: true)
    }

    func disableWriteSource() {
        guard wantsWrite, phase != .closed else { return }
        wantsWrite = false
        loop.watch(self, read: !readSuspended, write: false)
    }
}
