// `dpcl predictions merge`: the parts of a sharded run (`dpcl match --shard I/N`) put back
// into one misc-predictions/v1 submission, checked against the split's pairs.
import ArgumentParser
import Evaluation
import Foundation

struct PredictionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predictions",
        abstract: "Work on misc-predictions/v1 files.",
        subcommands: [Merge.self]
    )

    struct Merge: ParsableCommand {
        /// Exit status when pairs of the split are in no part (and --allow-missing is not given).
        static let missingStatus: Int32 = 3

        static let configuration = CommandConfiguration(
            abstract: "Merge the parts of a sharded run into one submission, in the split's pair order.",
            discussion: """
                Exit status: 0 merged; 1 a part is unreadable, of another benchmark or method, \
                predicts a pair twice or a pair the split does not list (nothing written); 3 \
                some pairs of the split are in no part (listed on stderr; nothing written unless \
                --allow-missing, which writes what there is and exits 0).
                """
        )

        @Argument(help: "The parts (misc-predictions/v1), e.g. the outputs of dpcl match --shard 1/3, 2/3, 3/3.")
        var parts: [String]

        @Option(help: "The split the parts were run on (misc-pairs/v1).")
        var pairs: String

        @Option(help: "Where to write the merged predictions.")
        var out: String

        @Flag(help: "Write the merge even when some pairs are in no part (they count as empty predictions when scored).")
        var allowMissing = false

        func validate() throws {
            guard !parts.isEmpty else { throw ValidationError("give the parts to merge") }
        }

        /// What the merge needs of the split: its name and pair ids, not its instances.
        struct SplitPairs: Decodable {
            struct Pair: Decodable { let id: String }
            let format: String
            let name: String
            let pairs: [Pair]
        }

        func run() throws {
            let split: SplitPairs
            do {
                split = try JSONDecoder().decode(SplitPairs.self, from: Data(contentsOf: URL(fileURLWithPath: pairs)))
            } catch {
                FileHandle.standardError.write(Data("dpcl predictions merge: \(pairs) is not a readable misc-pairs/v1 split: \(error)\n".utf8))
                throw ExitCode.failure
            }
            guard split.format == "misc-pairs/v1" else {
                FileHandle.standardError.write(Data("dpcl predictions merge: \(pairs) is \(split.format), expected misc-pairs/v1\n".utf8))
                throw ExitCode.failure
            }
            let order = split.pairs.map(\.id)
            let merged: PredictionParts
            do {
                merged = try PredictionParts(paths: parts, benchmark: split.name, pairs: Set(order))
            } catch {
                FileHandle.standardError.write(Data("dpcl predictions merge: \(error)\n".utf8))
                throw ExitCode.failure
            }
            let missing = merged.missing(from: order)
            if !missing.isEmpty {
                let shown = missing.prefix(20).joined(separator: ", ") + (missing.count > 20 ? ", …" : "")
                FileHandle.standardError.write(Data("dpcl predictions merge: \(missing.count) of \(order.count) pairs are in no part: \(shown)\n".utf8))
                guard allowMissing else { throw ExitCode(Self.missingStatus) }
            }
            do {
                try merged.write(order: order, to: out)
            } catch {
                FileHandle.standardError.write(Data("dpcl predictions merge: \(error)\n".utf8))
                throw ExitCode.failure
            }
            FileHandle.standardError.write(Data("dpcl predictions merge: \(order.count - missing.count) pairs from \(parts.count) parts written to \(out)\n".utf8))
        }
    }
}
