// OpenBLAS's thread count: one process-wide setting, read and changed only here.
import COpenBLAS

public enum BLASThreads {
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// Sets the count OpenBLAS uses for every later product (at least 1).
    public static func set(_ threads: Int) {
        openblas_set_num_threads(Int32(max(1, threads)))
    }

    /// Runs `body` with OpenBLAS on one thread (the caller parallelises instead), then
    /// restores the previous count.
    static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let previous = current
        if previous == 1 { return try body() }
        set(1)
        defer { set(previous) }
        return try body()
    }
}
