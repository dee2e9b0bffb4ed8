// Matching from several reference images with the default model: one reference gives the
// pair pipeline's answer exactly, several pool their keypoints into prototypes, the best-one
// foreground names its image, the proposals keep one location per (instance, keypoint), and
// a set's input errors are precise.
import Foundation
import Imaging
import TestSupport
import Testing
@testable import Matching

@Suite(.serialized) struct ReferencesTests {
    /// coco-person-dev's images as references: one image's instances with their names.
    static func reference(_ dev: DevPair) -> ReferenceImage {
        ReferenceImage(image: dev.input.source, instances: dev.input.instances)
    }

    static func names(_ dev: DevPair) -> [String] { dev.split.categories[0].keypoints }

    @Test func oneReferenceImageGivesThePairMatchersAnswer() throws {
        let matcher = try DefaultModel.matcher.get()
        let dev = try DevPair("coco-person-dev", "person-0012")
        let pair = try matcher.match(dev.input)
        let set = try ReferenceSet(category: "person", keypoints: Self.names(dev), images: [Self.reference(dev)]).prepared()
        let report = try matcher.match(references: set, target: dev.input.target)
        #expect(report.prediction == pair.prediction)
        #expect(report.foregroundReference == nil)
    }

    @Test func severalReferencesQueryEveryInstanceOfEveryImageAndProposeOnePointPerKeypoint() throws {
        let matcher = try DefaultModel.matcher.get()
        // Two sources (one person, four people) onto the same target of five.
        let first = try DevPair("coco-person-dev", "person-0003"), second = try DevPair("coco-person-dev", "person-0009")
        #expect(first.pair.target == second.pair.target)
        let set = try ReferenceSet(category: "person", keypoints: Self.names(first),
                                   images: [Self.reference(first), Self.reference(second)]).prepared()
        let report = try matcher.match(references: set, target: first.input.target)
        let labelled = Set(set.set.images.flatMap(\.instances).flatMap { i in
            i.keypoints.indices.filter { i.keypoints[$0].isLabelled }.map { "\(i.id)/\($0)" }
        })
        #expect(Set(report.prediction.matches.map { "\($0.sourceInstance)/\($0.keypoint)" }) == labelled,
                "every labelled keypoint of both images is matched")
        #expect(report.references.count == 2 && report.prediction.instances.count >= 2)

        let proposals = Proposals.of(report.prediction, keypoints: Self.names(first))
        #expect(proposals.map(\.instance.score) == proposals.map(\.instance.score).sorted(by: >))
        for proposal in proposals {
            #expect(Set(proposal.keypoints.map(\.keypoint)).count == proposal.keypoints.count, "one point per keypoint")
            for point in proposal.keypoints {
                #expect(point.name == Self.names(first)[point.keypoint])
                let best = report.prediction.matches.filter { $0.targetInstance == proposal.instance.id && $0.keypoint == point.keypoint }
                    .map(\.score).max()
                #expect(best == point.score, "the proposal is the instance's best match of its keypoint")
            }
        }
        // As matches: every proposal of keypoint k once per reference instance labelling k.
        let instances = set.set.images.flatMap(\.instances)
        let asMatches = Proposals.matches(proposals, sourceInstances: instances)
        let expected = proposals.reduce(0) { sum, proposal in
            sum + proposal.keypoints.reduce(0) { count, point in count + instances.count { $0.keypoints[point.keypoint].isLabelled } }
        }
        #expect(asMatches.count == expected)

        var best = matcher.config
        best.references.foreground = .best
        let bestMatcher = try Matcher(model: matcher.model, config: best, name: matcher.name)
        let chosen = try bestMatcher.match(references: set, target: first.input.target)
        #expect(chosen.foregroundReference.map { (0..<2).contains($0) } == true)
    }

    @Test func aSetsInputErrorsArePrecise() throws {
        let dev = try DevPair("coco-person-dev", "person-0012")
        let image = Self.reference(dev)
        #expect(throws: MatchInputError.noReferences) {
            try ReferenceSet(category: "person", keypoints: Self.names(dev), images: []).prepared()
        }
        let id = image.instances[0].id
        #expect(throws: MatchInputError.duplicateInstance(id: id), "ids are unique over the whole set") {
            try ReferenceSet(category: "person", keypoints: Self.names(dev), images: [image, image]).prepared()
        }
        #expect(throws: MatchInputError.keypointCount(instance: id, expected: 3, found: 17)) {
            try ReferenceSet(category: "person", keypoints: ["a", "b", "c"], images: [image]).prepared()
        }
        var unlabelled = image
        for index in unlabelled.instances.indices {
            for k in unlabelled.instances[index].keypoints.indices { unlabelled.instances[index].keypoints[k].visibility = 0 }
        }
        #expect(throws: MatchInputError.noLabelledKeypoint(outside: 0)) {
            try ReferenceSet(category: "person", keypoints: Self.names(dev), images: [unlabelled]).prepared()
        }
    }
}
