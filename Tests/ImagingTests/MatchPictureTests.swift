// A match picture of a dev pair (ground truth used as the prediction), checked pixel-wise
// where it must show the instance colours, and round-tripped through PNG.
import Foundation
import Testing
@testable import Imaging

private struct Split: Decodable {
    struct Image: Decodable { var id: String; var file: String; var width: Int; var height: Int }
    struct Instance: Decodable {
        var id: Int
        var image: String
        var segmentation: Segmentation?
        var keypoints: [[Double]]
    }
    struct Pair: Decodable { var id: String; var source: String; var target: String }
    var images: [Image]
    var instances: [Instance]
    var pairs: [Pair]
}

@Suite struct MatchPictureTests {
    /// The picture of the first coco-person-dev pair whose target has several people.
    static func devPicture() throws -> (MatchPicture, outputPath: URL) {
        let folder = ReferenceTools.sharedData.appendingPathComponent("coco-person-dev")
        let split = try JSONDecoder().decode(Split.self, from: Data(contentsOf: folder.appendingPathComponent("pairs.json")))
        let images = Dictionary(uniqueKeysWithValues: split.images.map { ($0.id, $0) })
        func instances(of image: String) -> [Split.Instance] { split.instances.filter { $0.image == image } }
        let pair = try #require(split.pairs.first { instances(of: $0.target).count >= 3 && instances(of: $0.source).count >= 1 })
        let (sourceInfo, targetInfo) = (try #require(images[pair.source]), try #require(images[pair.target]))
        func load(_ info: Split.Image) throws -> RGBImage {
            try ImageDecoder.decode([UInt8](Data(contentsOf: folder.appendingPathComponent(info.file))))
        }
        func masks(_ image: Split.Image) throws -> [InstanceMask] {
            try instances(of: image.id).compactMap { instance in
                guard let segmentation = instance.segmentation else { return nil }
                return InstanceMask(id: instance.id, mask: try segmentation.rle(height: image.height, width: image.width))
            }
        }
        var keypoints = [MatchPicture.SourceKeypoint]()
        for instance in instances(of: pair.source) {
            for (k, point) in instance.keypoints.enumerated() where point[2] > 0 {
                keypoints.append(.init(instance: instance.id, keypoint: k, x: point[0], y: point[1]))
            }
        }
        // Oracle matches: each labelled source keypoint to the same keypoint on every target person.
        var matches = [MatchPicture.Match]()
        for keypoint in keypoints {
            for target in instances(of: pair.target) where target.keypoints[keypoint.keypoint][2] > 0 {
                let p = target.keypoints[keypoint.keypoint]
                matches.append(.init(sourceInstance: keypoint.instance, keypoint: keypoint.keypoint, x: p[0], y: p[1], targetInstance: target.id))
            }
        }
        let picture = MatchPicture(source: try load(sourceInfo), target: try load(targetInfo),
                                   sourceInstances: try masks(sourceInfo), targetInstances: try masks(targetInfo),
                                   sourceKeypoints: keypoints, matches: matches, height: 360)
        return (picture, FileManager.default.temporaryDirectory.appendingPathComponent("dpcl-match-\(pair.id).png"))
    }

    @Test func devPairPictureShowsInstancesLinesAndLegend() throws {
        let (picture, path) = try Self.devPicture()
        #expect(picture.matches.count > 10)
        let png = try picture.png()
        try Data(png).write(to: path)
        print("match picture written to \(path.path)")
        let image = try ImageDecoder.decode(png)
        let sourceWidth = Int((Double(picture.source.width) * 360 / Double(picture.source.height)).rounded())
        let targetWidth = Int((Double(picture.target.width) * 360 / Double(picture.target.height)).rounded())
        #expect(image.width == sourceWidth + MatchPicture.gap + targetWidth)
        #expect(image.height == 360 + MatchPicture.legendHeight)

        func pixel(_ x: Double, _ y: Double) -> RGB {
            let i = (Int(y) * image.width + Int(x)) * 3
            return RGB(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
        }
        // Each match ends in a dot of its target instance's colour.
        let geometry = ResizeGeometry(fromWidth: picture.target.width, fromHeight: picture.target.height, toWidth: targetWidth, toHeight: 360)
        let colours = Dictionary(uniqueKeysWithValues: picture.targetInstances.enumerated().map { ($1.id, Palette.target($0)) })
        var dotsChecked = 0
        for match in picture.matches.suffix(5) {
            let p = geometry.forward(x: match.x, y: match.y)
            let instance = try #require(match.targetInstance)
            let expected = try #require(colours[instance])
            // The last-drawn dot at a location wins; later matches can cover earlier ones.
            if pixel(p.x + Double(sourceWidth + MatchPicture.gap), p.y) == expected { dotsChecked += 1 }
        }
        #expect(dotsChecked >= 3)
        // The legend band holds the first target colour's swatch.
        let legend = (0..<image.width).contains { x in pixel(Double(x), 360 + 8) == Palette.target(0) }
        #expect(legend)
        // Tinting changed the target's pixels inside the first instance mask.
        let plain = try BilinearResize.resize(picture.target, width: targetWidth, height: 360)
        var changed = 0
        for y in stride(from: 0, to: 360, by: 4) {
            for x in stride(from: 0, to: targetWidth, by: 4) {
                let i = (y * targetWidth + x) * 3
                let o = (y * image.width + x + sourceWidth + MatchPicture.gap) * 3
                if plain.pixels[i] != image.pixels[o] { changed += 1 }
            }
        }
        #expect(changed > 100)
    }

    @Test func rejectsAbsurdHeights() throws {
        let tiny = RGBImage(width: 4, height: 4)
        let picture = MatchPicture(source: tiny, target: tiny, sourceInstances: [], targetInstances: [],
                                   sourceKeypoints: [], matches: [], height: 5)
        #expect(throws: ImageError.self) { try picture.render() }
    }
}
