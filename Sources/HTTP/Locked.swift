// A value behind a pthread mutex (NSLock). Used instead of Synchronization.Mutex, whose
// futex-based lock ThreadSanitizer does not see, so sanitizer runs stay meaningful.
import Foundation

final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
