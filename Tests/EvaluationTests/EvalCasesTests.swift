// The hand-computed acceptance cases beside the repository: every expected score reproduced
// to within 1e-12, through the library and through the real `dpcl eval --json` executable,
// and every invalid submission rejected with the JSON path of its problem and exit 2.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

@Suite struct EvalCasesTests {
    static let scoredCases = ["a_hungarian_alphas", "b_categories_boundary_masks", "c_miou_hungarian"]
    /// Members that expected files written before them may lack (FORMATS.md section 3.1);
    /// where a file has one, it is compared.
    static let newerKeys: Set<String> = ["grouping"]

    @Test func theCaseFolderHoldsTheExpectedCases() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: TestSupport.evalCases.path)
        let scored = folders.filter {
            FileManager.default.fileExists(atPath: TestSupport.evalCases.appendingPathComponent("\($0)/expected-scores.json").path)
        }
        #expect(Set(scored) == Set(Self.scoredCases), "a new scored case needs adding here")
    }

    @Test(arguments: scoredCases)
    func libraryReproducesExpectedScores(_ name: String) throws {
        let folder = TestSupport.evalCases.appendingPathComponent(name)
        let benchmark = try GroundTruthReader.read(path: folder.appendingPathComponent("gt.json").path)
        let scores = try Evaluator(benchmark: benchmark).evaluate(path: folder.appendingPathComponent("pred.json").path)
        let written = ScoresDocument.json(scores)
        let actual = try JSONSerialization.jsonObject(with: Data(written.utf8))
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected-scores.json")))
        let differences = TestSupport.differences(expected, actual, extraKeys: Self.newerKeys)
        #expect(differences.isEmpty, "\(name): \(differences)")
    }

    @Test(arguments: scoredCases)
    func executableReproducesExpectedScores(_ name: String) throws {
        let folder = TestSupport.evalCases.appendingPathComponent(name)
        let run = try DPCLProcess.run(["eval", "--json", folder.appendingPathComponent("gt.json").path,
                                       folder.appendingPathComponent("pred.json").path])
        #expect(run.status == 0, "\(run.stderr)")
        let actual = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected-scores.json")))
        let differences = TestSupport.differences(expected, actual, extraKeys: Self.newerKeys)
        #expect(differences.isEmpty, "\(name): \(differences)")
    }

    /// The path each invalid submission must be rejected at.
    static let invalidCases: [(file: String, path: String)] = [
        ("pred-keypoint-out-of-range.json", "pairs[0].matches[0].keypoint"),
        ("pred-null-coordinate.json", "pairs[0].matches[0].x"),
        ("pred-unknown-pair.json", "pairs[1].pair"),
        ("pred-unknown-source-instance.json", "pairs[0].matches[7].source_instance"),
        ("pred-wrong-format.json", "format"),
    ]

    @Test func everyInvalidFileIsCovered() throws {
        let folder = TestSupport.evalCases.appendingPathComponent("d_invalid")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("pred-") }
        #expect(Set(files) == Set(Self.invalidCases.map(\.file)))
    }

    @Test(arguments: invalidCases.map(\.file))
    func invalidSubmissionIsRejectedWithItsPath(_ file: String) throws {
        let folder = TestSupport.evalCases.appendingPathComponent("d_invalid")
        let expectedPath = try #require(Self.invalidCases.first { $0.file == file }?.path)
        let benchmark = try GroundTruthReader.read(path: folder.appendingPathComponent("gt.json").path)
        do {
            _ = try Evaluator(benchmark: benchmark).evaluate(path: folder.appendingPathComponent(file).path)
            Issue.record("\(file) was accepted")
        } catch let error as InputError {
            #expect(error.document == .submission)
            #expect(error.path.description == expectedPath, "\(error)")
        }
        let run = try DPCLProcess.run(["eval", "--json", folder.appendingPathComponent("gt.json").path,
                                       folder.appendingPathComponent(file).path])
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("\(expectedPath): "), "\(run.stderr)")
    }

    @Test func tableShowsPercentagesInThePaperLayout() throws {
        let folder = TestSupport.evalCases.appendingPathComponent("b_categories_boundary_masks")
        let run = try DPCLProcess.run(["eval", folder.appendingPathComponent("gt.json").path,
                                       folder.appendingPathComponent("pred.json").path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.contains(["mPCK", "cat", "dog", "all"]))
        #expect(lines.contains(["@0.05", "16.67", "0.00", "12.50"]))
        #expect(lines.contains(["@0.10", "33.33", "100.00", "50.00"]))
    }
}

/// The built `dpcl` executable, run as a user runs it.
enum DPCLProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Throws when the built `dpcl` cannot be started (its path in the message).
    static func run(_ arguments: [String]) throws -> Result {
        let run = try Subprocess.run(Repository.builtProduct("dpcl"), arguments)
        return Result(status: run.status, stdout: run.stdoutText, stderr: run.stderrText)
    }
}
