// What the matcher does with odd annotations, decided case by case: keypoints on the edge,
// outside the image, occluded; empty masks and boxes; duplicate ids; nothing left to ask.
import Imaging
import Testing
@testable import Matching

@Suite struct MatchInputTests {
    static let (width, height) = (40, 30)

    static func pair(_ instances: [SourceInstance]) throws -> PairInput {
        let image = try RGBImage(width: width, height: height, pixels: [UInt8](repeating: 128, count: width * height * 3))
        return PairInput(source: image, target: image, instances: instances)
    }

    static func instance(_ id: Int, _ points: [(Double, Double, Int)], mask: RLE? = nil, box: BoundingBox? = nil) -> SourceInstance {
        SourceInstance(id: id, keypoints: points.map { SourceKeypoint(x: $0.0, y: $0.1, visibility: $0.2) }, mask: mask, box: box)
    }

    @Test func keypointsOnTheEdgeAreInsideAndOccludedOnesAreAsked() throws {
        // x = width and y = height are the far edges of the last pixels: inside.
        let prepared = try Self.pair([Self.instance(1, [(0, 0, 2), (40, 30, 2), (20, 15, 1)])]).prepared()
        #expect(prepared.warnings.isEmpty)
        #expect(prepared.input.instances[0].keypoints.map(\.isLabelled) == [true, true, true])
        #expect(Matcher.groups(prepared.input.instances).count == 3)
    }

    @Test func aKeypointOutsideTheImageIsNotAskedAndSaid() throws {
        let prepared = try Self.pair([
            Self.instance(14, [(10, 10, 2), (10, -25, 2), (40.01, 5, 1), (-3, -3, 0)]),
            Self.instance(15, [(5, 5, 2)]),
        ]).prepared()
        #expect(prepared.warnings.map(\.code) == [.keypointOutsideImage, .keypointOutsideImage])
        #expect(prepared.warnings.map(\.sourceInstance) == [14, 14])
        #expect(prepared.warnings.map(\.keypoint) == [1, 2])
        #expect(prepared.warnings[0].message == "keypoint 1 of source instance 14 at (10.0, -25.0) is outside the 40x30 source image: not matched")
        // Unlabelled keypoints (v = 0) are never checked: their x, y mean nothing.
        #expect(prepared.input.instances[0].keypoints.map(\.isLabelled) == [true, false, false, false])
        #expect(Matcher.groups(prepared.input.instances).map(\.keypoint) == [0, 0])
    }

    @Test func aPairWithNoKeypointInsideIsRefused() throws {
        #expect(throws: MatchInputError.noLabelledKeypoint(outside: 2)) {
            try Self.pair([Self.instance(1, [(-1, 5, 2), (5, 31, 2), (5, 5, 0)])]).prepared()
        }
        #expect(MatchInputError.noLabelledKeypoint(outside: 2).code == "no-keypoints")
        #expect(MatchInputError.noLabelledKeypoint(outside: 2).description.contains("inside the source image (2 outside it)"))
    }

    @Test func anEmptyMaskGivesWayToTheBoxAndAZeroAreaBoxToTheKeypoints() throws {
        let empty = try RLE.empty(height: Self.height, width: Self.width)
        let prepared = try Self.pair([
            Self.instance(1, [(10, 10, 2)], mask: empty, box: BoundingBox(x: 2, y: 3, width: 20, height: 10)),
            Self.instance(2, [(12, 8, 2), (20, 20, 2)], box: BoundingBox(x: 5, y: 5, width: 0, height: 10)),
            // A zero-area box beside a real mask is never used: nothing to say.
            Self.instance(3, [(1, 1, 2)], mask: try RLE(counts: [0, 30, Self.width * Self.height - 30], height: Self.height, width: Self.width),
                          box: BoundingBox(x: 0, y: 0, width: 0, height: 0)),
        ]).prepared()
        #expect(prepared.warnings.map(\.code) == [.emptyMask, .emptyBox])
        #expect(prepared.warnings.map(\.sourceInstance) == [1, 2])
        let instances = prepared.input.instances
        #expect(instances[0].mask == nil && instances[0].extent == BoundingBox(x: 2, y: 3, width: 20, height: 10))
        #expect(instances[1].box == nil && instances[1].extent == BoundingBox(x: 12, y: 8, width: 8, height: 12))
        #expect(instances[2].mask != nil)
    }

    @Test func duplicateInstanceIdsAreAnError() throws {
        #expect(throws: MatchInputError.duplicateInstance(id: 3)) {
            try Self.pair([Self.instance(3, [(1, 1, 2)]), Self.instance(3, [(2, 2, 2)])]).prepared()
        }
        #expect(MatchInputError.duplicateInstance(id: 3).code == "duplicate-instance")
    }
}
