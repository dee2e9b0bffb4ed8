// The entry point of the module: one benchmark, one submission stream, one Scores.

public struct EvaluationOptions: Sendable, Equatable {
    /// The α thresholds, as fractions of max(width, height) of the target image.
    public var alphas: [Double]

    public static let paperAlphas: [Double] = [0.05, 0.10, 0.15, 1.00]

    public init(alphas: [Double] = EvaluationOptions.paperAlphas) {
        self.alphas = alphas
    }
}

public struct Evaluator: Sendable {
    public let benchmark: Benchmark
    public let options: EvaluationOptions

    public init(benchmark: Benchmark, options: EvaluationOptions = EvaluationOptions()) {
        self.benchmark = benchmark
        self.options = options
    }

    /// Scores the submission at `path` (`.json` or gzip-compressed, by content).
    public func evaluate(path: String) throws -> Scores {
        let source: ByteSource
        do {
            source = try openByteSource(path: path)
        } catch let error as ByteSourceError {
            throw InputError(.submission, JSONPath(), .unreadable(error.description))
        }
        return try evaluate(source: source)
    }

    public func evaluate(source: ByteSource) throws -> Scores {
        var run = EvaluationRun(benchmark: benchmark, alphas: options.alphas)
        let header = try SubmissionReader.read(source: source, expectedBenchmark: benchmark.name) { entry in
            try run.add(&entry)
        }
        return run.finish(method: header.method)
    }
}
