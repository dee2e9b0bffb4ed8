// `dpcl propose`: a target image matched from several labelled reference images; per
// predicted instance its box, mask, score and at most one location per keypoint name.
import ArgumentParser
import Foundation
import Imaging
import Matching

struct ProposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose",
        abstract: "Propose every target instance's keypoints from one or more labelled reference images.",
        discussion: """
            --target T.jpg --reference A.jpg --annotations A.json [--reference B.jpg \
            --annotations B.json ...]: the n-th --annotations labels the n-th --reference \
            (the `annotations` document of dpcl match, with the category's keypoint names; one \
            category over all). Prints the answer of POST /v1/propose without its target geometry and timings; with --pair ID, a \
            misc-predictions/v1 pairs[] entry instead (the proposals as matches of every \
            reference instance), which `dpcl eval` scores.
            """
    )

    @Option(help: "Target image (JPEG or PNG).")
    var target: String

    @Option(help: "A reference image (repeat for several).")
    var reference: [String] = []

    @Option(help: "The annotations of the reference of the same position (repeat as --reference).")
    var annotations: [String] = []

    @Option(help: "Write a misc-predictions/v1 pairs[] entry with this pair id instead of the answer.")
    var pair: String?

    @Flag(help: "Every match of the pipeline in `matches`, not only the proposals.")
    var allMatches = false

    @Option(help: "Where to write the answer (default stdout).")
    var out: String?

    @OptionGroup var backbone: BackboneOptions

    func validate() throws {
        guard !reference.isEmpty, reference.count == annotations.count else {
            throw ValidationError("give one --annotations per --reference (\(reference.count) references, \(annotations.count) annotations)")
        }
    }

    func run() throws {
        let matcher = try backbone.loadMatcher()
        var images: [ReferenceImage] = []
        var documents: [SourceAnnotations] = []
        for (path, annotationsPath) in zip(reference, annotations) {
            let image = try MatchCommand.decode(path)
            let document: SourceAnnotations
            do {
                document = try JSONDecoder().decode(SourceAnnotations.self, from: Data(try MatchCommand.read(annotationsPath)))
            } catch let error as DecodingError {
                throw ValidationError("\(annotationsPath) is not a valid annotations document: \(error)")
            }
            guard document.category == documents.first?.category ?? document.category,
                  document.keypoints == documents.first?.keypoints ?? document.keypoints else {
                throw ValidationError("\(annotationsPath): every reference must be of one category with one keypoint list")
            }
            documents.append(document)
            images.append(ReferenceImage(image: image, instances: try document.sourceInstances(width: image.width, height: image.height)))
        }
        guard let names = documents[0].keypoints else {
            throw ValidationError("\(annotations[0]) must list the category's keypoint names (keypoints)")
        }
        let references = try ReferenceSet(category: documents[0].category, keypoints: names, images: images).prepared()
        let report = try matcher.match(references: references, target: try MatchCommand.decode(target))
        let result = ProposalResult(model: matcher.name, references: references, report: report, everyMatch: allMatches)
        let data = try pair.map { id in
            try MatchCommand.encoder.encode(PredictionEntry(pair: id, prediction: PairPrediction(
                matches: result.matches, instances: result.instances.map(\.instance)), warnings: result.warnings))
        } ?? MatchCommand.encoder.encode(result)
        try MatchCommand.write(data, to: out)
    }
}
