// OpenBLAS's process-wide settings as the engine sees them: the thread count (read and
// changed only here) and the kernel family it chose (OPENBLAS_CORETYPE overrides its choice).
import COpenBLAS
import Synchronization

public enum BLASThreads {
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// The count the engine was given (`set`, else OpenBLAS's own at start): what a forward
    /// splits its work by. Unlike `current` it does not drop to 1 while another thread is
    /// inside `singleThreaded`, which would run a forward started then on one worker.
    public static var configured: Int { configuredCount.load(ordering: .relaxed) }
    private static let configuredCount = Atomic<Int>(Int(openblas_get_num_threads()))

    /// The kernel family in use, e.g. "Haswell" (AVX2) or "Cooperlake" (AVX-512).
    public static var kernel: String { String(cString: openblas_get_corename()) }

    /// Sets the count OpenBLAS uses for every later product (at least 1).
    public static func set(_ threads: Int) {
        configuredCount.store(max(1, threads), ordering: .relaxed)
        openblas_set_num_threads(Int32(max(1, threads)))
    }

    /// Runs `body` with OpenBLAS on one thread (the caller parallelises instead), then
    /// restores the previous count.
    public static func singleThreaded<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        _ = configured  // read OpenBLAS's own count before any thread lowers it
        let previous = current
        if previous == 1 { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(previous)) }
        return try body()
    }
}
