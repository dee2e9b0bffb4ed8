// `dpcl bench`: timing of the engine's parts, one JSON object per run (release builds only).
import ArgumentParser
import Foundation
import Tensor

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time parts of the engine; print one JSON object.",
        subcommands: [BackboneBench.self, SGEMMBench.self]
    )
}

/// Milliseconds of each run of `body`, after `warmUp` untimed runs.
func timings(iterations: Int, warmUp: Int, _ body: () throws -> Void) rethrows -> [Double] {
    for _ in 0..<warmUp { try body() }
    return try (0..<iterations).map { _ in
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
}

func rounded(_ value: Double, _ digits: Double = 100) -> Double { (value * digits).rounded() / digits }

/// One run's JSON object: the size, the threads, the engine (`engine`'s members, else
/// OpenBLAS's kernel), the median (and with `p90`, the 90th percentile) milliseconds, and the
/// GFLOP/s of `flops` at the median.
func printTimings(size: Int, _ times: [Double], flops: Double, p90: Bool, engine: String? = nil) {
    let median = percentile(times, 0.5)
    let p90Member = p90 ? #", "p90_ms": \#(rounded(percentile(times, 0.9)))"# : ""
    let engine = engine ?? #""kernel": "\#(BLASThreads.kernel)""#
    print(#"{"size": \#(size), "threads": \#(BLASThreads.current), \#(engine), "median_ms": \#(rounded(median))\#(p90Member), "gflops": \#(rounded(flops / (median / 1000) / 1e9))}"#)
}

struct BackboneBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backbone",
        abstract: "Forward passes at one input size: median and p90 milliseconds, achieved GFLOP/s."
    )

    @Option(help: "Input side in pixels (a multiple of the patch size).") var size = 224
    @Option(help: "Input height when it differs from the width (--size), e.g. the matcher's input of a 4:3 image.") var height: Int?
    @Option(help: "Block index (0-based) the forward stops after, or 'final'.") var layer = "final"
    @Option(help: "Timed forwards.") var iterations = 20
    @Option(help: "Untimed forwards first.") var warmUp = 3
    @Option(help: "Worker threads of the engine (default: OpenBLAS's thread count).") var threads: Int?
    @OptionGroup var backbone: BackboneOptions

    func run() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard let selection = BackboneLayer(argument: layer) else {
            throw ValidationError("--layer must be a block index (0, 1, …) or 'final', not '\(layer)'")
        }
        if let threads { BLASThreads.set(threads) }
        let model = try backbone.load()
        // A fixed pseudo-random input: speed does not depend on the values.
        var state: UInt32 = 12345
        let rows = height ?? size
        let input = try Tensor(shape: [3, rows, size], storage: (0..<(3 * size * rows)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) * 4 - 2
        })
        let times = try timings(iterations: iterations, warmUp: warmUp) {
            _ = try model.forward(input, layers: [selection])
        }
        let blocks = { if case .block(let index) = selection { index + 1 } else { model.config.numHiddenLayers } }()
        let flops = model.flops(height: rows, width: size) * Double(blocks) / Double(model.config.numHiddenLayers)
        printTimings(size: size, times, flops: flops, p90: true,
                     engine: #""precision": "\#(model.precision)", "isa": "\#(PrecisionCheck.isa)""#)
    }
}

struct SGEMMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm",
        abstract: "One large square cblas_sgemm: the machine's attainable GFLOP/s, for comparison."
    )

    @Option(help: "Matrix side.") var size = 2048
    @Option(help: "Timed products.") var iterations = 10
    @Option(help: "Threads.") var threads: Int?

    func run() throws {
        guard size > 0, iterations > 0 else { throw ValidationError("--size and --iterations must be positive") }
        if let threads { BLASThreads.set(threads) }
        let a = try Tensor(shape: [size, size], storage: (0..<(size * size)).map { Float($0 % 17) / 17 })
        let times = try timings(iterations: iterations, warmUp: 2) { _ = try Ops.matmul(a, a) }
        printTimings(size: size, times, flops: 2 * pow(Double(size), 3), p90: false)
    }
}
