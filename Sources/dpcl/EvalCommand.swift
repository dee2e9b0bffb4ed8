// `dpcl eval GT PRED`: scores a submission against a benchmark split, as a table in the
// paper's layout or (with --json) as a misc-scores/v1 document.
import ArgumentParser
import Evaluation
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a misc-predictions/v1 submission against a misc-pairs/v1 benchmark.",
        discussion: """
            Both files may be gzip-compressed. Exit status: 0 scored, 2 the submission is \
            invalid (the JSON path of the first problem on stderr), 1 the ground truth could \
            not be read.
            """
    )

    @Argument(help: "The benchmark split with its ground truth (misc-pairs/v1).")
    var groundTruth: String

    @Argument(help: "The submission (misc-predictions/v1, .json or .json.gz).")
    var predictions: String

    @Flag(name: .long, help: "Print the misc-scores/v1 document instead of the table.")
    var json = false

    @Option(name: .long, help: "The α thresholds, comma-separated fractions of max(width, height) of the target image.")
    var alphas = "0.05,0.10,0.15,1.00"

    /// `--alphas` as numbers; nil when one is not a finite number ≥ 0.
    private var alphaList: [Double]? {
        let values = alphas.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 }) else { return nil }
        return values.compactMap { $0 }
    }

    func validate() throws {
        guard let list = alphaList else {
            throw ValidationError("--alphas must be comma-separated finite numbers ≥ 0, e.g. 0.05,0.10,0.15,1.00")
        }
        // Each α is a key of the scores document: two may not share one.
        guard Set(list.map(ScoresDocument.alphaKey)).count == list.count else {
            throw ValidationError("--alphas lists the same α twice")
        }
    }

    func run() throws {
        let benchmark: Benchmark
        do {
            benchmark = try GroundTruthReader.read(path: groundTruth)
        } catch let error as InputError {
            printError("dpcl eval: ground truth \(groundTruth) rejected: \(error)")
            throw ExitCode(1)
        }
        let scores: Scores
        do {
            scores = try Evaluator(benchmark: benchmark, options: EvaluationOptions(alphas: alphaList ?? EvaluationOptions.paperAlphas))
                .evaluate(path: predictions)
        } catch let error as InputError {
            printError("dpcl eval: submission \(predictions) rejected: \(error)")
            throw ExitCode(2)
        }
        print(json ? ScoresDocument.json(scores) : ScoresTable.render(scores), terminator: "")
    }

    private func printError(_ message: String) {
        let bytes = Array((message + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
