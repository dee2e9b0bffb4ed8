// Slowloris: 200 connections trickling header bytes must neither delay normal requests nor
// outlive the head deadline. Bounded to a few seconds.
import Foundation
import Synchronization
import Testing
@testable import HTTP

@Suite struct SlowClientTests {
    @Test func tricklingClientsDoNotDelayOthers() throws {
        let server = try TestServer { $0.timeouts.head = 1.5; $0.maxConnections = 1000 }
        defer { server.stop() }
        let slow = try (0..<200).map { _ in try RawClient(port: server.port, timeout: 4) }
        let trickle = Array("GET /slow HTTP/1.1\r\nHost: t\r\nX-Padding: ".utf8) + [UInt8](repeating: 97, count: 200)
        let stop = StopFlag()
        let descriptors = slow.map(\.fd)
        // The trickler is awaited before the clients close: a send after that could reach a
        // descriptor number another test has been given since.
        let trickled = DispatchSemaphore(value: 0)
        let trickler = Thread {
            defer { trickled.signal() }
            var position = 0
            while !stop.isSet, position < trickle.count {
                for fd in descriptors {
                    _ = [trickle[position]].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
                }
                position += 1
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        trickler.start()
        Thread.sleep(forTimeInterval: 0.2)
        // Normal clients meanwhile: each answered quickly.
        var worst = 0.0
        for index in 0..<50 {
            let start = ContinuousClock.now
            let response = try server.exchange("GET /fast/\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
            worst = max(worst, (ContinuousClock.now - start).seconds)
            #expect(response.status == 200)
        }
        // A design that blocks a thread per connection would stall for the 1.5 s head deadline.
        #expect(worst < 0.5, "slowest normal request took \(worst) s")
        // Every trickler is cut off at the head deadline (1.5 s after its first byte).
        var closed = 0
        for client in slow {
            let bytes = client.readAll()
            let responses = ResponseStream(parsing: bytes).responses
            if responses.first?.status == 408 || bytes.isEmpty { closed += 1 }
        }
        stop.set()
        trickled.wait()
        #expect(closed == 200)
        // Once the clients hang up, the server's lingering sockets close too.
        for client in slow { client.shutdownWrite() }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(server.server.openConnections == 0)
    }
}

final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
