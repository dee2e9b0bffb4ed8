// How a connection ends: deadlines swept by its loop, lingering close after a final answer,
// draining on shutdown.
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension Connection {
    func startLinger() {
        phase = .lingering
        shutdown(fd, Int32(SHUT_WR))
        if peerClosed {
            close()
            return
        }
        resumeRead()
        deadlineKind = .linger
        deadline = DispatchTime.now().uptimeNanoseconds + Self.nanoseconds(context.configuration.timeouts.linger)
    }

    /// The sweep found the deadline passed.
    func expire() {
        switch deadlineKind {
        case .head, .body:
            if phase == .open && hasNothingOwed && !parser.isBetweenRequests {
                stopParsing()
                let what = deadlineKind == .head ? "request head" : "request body"
                pending.append(.failure(ParseError(.requestTimeout, "timeout", "the \(what) did not arrive in time")))
                processNext()
                flush(progress: false)
                if deadlineKind == .head || deadlineKind == .body { deadline = 0 }
            } else {
                close()
            }
        case .none:
            deadline = 0
        case .keepAlive, .write, .linger:
            close()
        }
    }

    /// Server shutdown: close now when idle, otherwise after the current answer.
    func drain() {
        if phase == .open && hasNothingOwed && parser.isBetweenRequests {
            close()
        }
    }

    func updateDeadline(progress: Bool) {
        guard phase != .closed, phase != .lingering else { return }
        let timeouts = context.configuration.timeouts
        let now = DispatchTime.now().uptimeNanoseconds
        func set(_ kind: DeadlineKind, _ seconds: Double, reset: Bool) {
            if deadlineKind != kind || reset || deadline == 0 {
                deadlineKind = kind
                deadline = now + Self.nanoseconds(seconds)
            }
        }
        if outOffset < out.count {
            set(.write, timeouts.write, reset: progress)
        } else if inFlight || streaming || !pending.isEmpty {
            deadlineKind = .none
            deadline = 0
        } else if parser.isReadingBody {
            set(.body, timeouts.bodyIdle, reset: progress)
        } else if !parser.isBetweenRequests || requestsServed == 0 {
            set(.head, timeouts.head, reset: false)
        } else {
            set(.keepAlive, timeouts.keepAliveIdle, reset: false)
        }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1_000_000_000) }

    func close() {
        guard phase != .closed else { return }
        phase = .closed
        stopParsing()
        deadline = 0
        loop.unregister(self)
        Glibc.close(fd)
        streamGate?.cancel()
        streamGate = nil
        context.connectionClosed()
        pending.removeAll()
        out = []
    }
}
