// The engine's own threading: work split over a fixed number of workers with Dispatch,
// while OpenBLAS runs single-threaded inside each (its idle threads would otherwise spin
// on the same cores between products).
import Dispatch

enum Parallel {
    /// Runs `body(worker)` for worker in 0..<workers, concurrently when workers > 1.
    static func run(workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers <= 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        }
    }

    /// The `worker`-th of `workers` near-equal contiguous parts of 0..<count.
    static func share(of count: Int, worker: Int, workers: Int) -> Range<Int> {
        let base = count / workers, extra = count % workers
        let start = worker * base + min(worker, extra)
        return start..<(start + base + (worker < extra ? 1 : 0))
    }
}
