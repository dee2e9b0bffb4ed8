// Label Studio's shapes without a server: label configs read or refused with the missing
// tag, an annotation's regions and keypoints (parentID, else the box that holds them) as
// reference instances in pixels, brush regions both ways, proposals as percent regions with
// their keypoints as children, and the convex polygon of a mask.
import Foundation
import Imaging
@testable import Matching
import Testing
@testable import Service

@Suite struct LabelStudioResultsTests {
    static let polygonConfig = """
        <View><Image name="img" value="$photo"/><PolygonLabels name="animal" toName="img"><Label value="horse"/></PolygonLabels>\
        <KeyPointLabels name="kp" toName="img"><Label value="nose"/><Label value="tail"/></KeyPointLabels></View>
        """

    @Test func labelConfigsAreReadOrRefusedWithTheMissingTag() throws {
        let config = try LabelConfig(xml: Self.polygonConfig)
        #expect(config.imageName == "img" && config.imageKey == "photo" && config.instanceKind == .polygon)
        #expect(config.keypointNames == ["nose", "tail"] && config.category == "horse" && config.instanceName == "animal")
        #expect(throws: LabelConfig.Problem.self) { try LabelConfig(xml: "<View><Image name=\"i\" value=\"$i\"/>") }
        do {
            _ = try LabelConfig(xml: #"<View><KeyPointLabels name="k" toName="i"><Label value="a"/></KeyPointLabels></View>"#)
            Issue.record("a config without an Image was accepted")
        } catch {
            #expect(error.description.contains("Image tag"))
        }
        let brush = try LabelConfig(xml: Self.brushConfig)
        #expect(brush.instanceKind == .brush && brush.instanceName == "b" && brush.category == "x")
        let none = #"<View><Image name="i" value="$i"/><KeyPointLabels name="k" toName="i"><Label value="a"/></KeyPointLabels></View>"#
        #expect(throws: LabelConfig.Problem.missing("RectangleLabels, PolygonLabels or BrushLabels tag with a Label (the category) on the Image i for the instances")) {
            try LabelConfig(xml: none)
        }
    }

    static let brushConfig = #"<View><Image name="i" value="$i"/><BrushLabels name="b" toName="i"><Label value="x"/></BrushLabels><KeyPointLabels name="k" toName="i"><Label value="a"/><Label value="b"/></KeyPointLabels></View>"#

    /// A row-major mask of `width` x `height` with the pixels of `rows` x `columns` set.
    static func block(width: Int, height: Int, rows: Range<Int>, columns: Range<Int>) throws -> RLE {
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in rows { for x in columns { pixels[y * width + x] = 1 } }
        return try RLE(rowMajor: pixels, height: height, width: width)
    }

    @Test func brushRegionsAreTheInstancesMasksBothWays() throws {
        let config = try LabelConfig(xml: Self.brushConfig)
        let (width, height) = (21, 13)
        let mask = try Self.block(width: width, height: height, rows: 3..<9, columns: 2..<7)
        let other = try Self.block(width: width, height: height, rows: 1..<4, columns: 12..<20)
        func item(_ object: [String: Any]) throws -> ResultItem {
            try JSONDecoder().decode(ResultItem.self, from: JSONSerialization.data(withJSONObject: object))
        }
        func brush(_ id: String, _ mask: RLE) -> [String: Any] {
            ["id": id, "from_name": "b", "type": "brushlabels",
             "value": ["format": "rle", "rle": mask.labelStudioBrush().map(Int.init), "brushlabels": ["x"]]]
        }
        let result = [
            try item(brush("m", mask)), try item(brush("o", other)),
            // Not this image's size: passed over.
            try item(["id": "bad", "from_name": "b", "value": ["format": "rle", "rle": [0, 0, 0, 4, 57, 27, 252, 127, 224]]]),
            try item(["id": "k1", "from_name": "k", "parentID": "m", "value": ["x": 50, "y": 50, "keypointlabels": ["a"]]]),
            try item(["id": "k2", "from_name": "k", "value": ["x": 80, "y": 15, "keypointlabels": ["b"]]]),
        ]
        let annotations = try #require(LabelStudioResults.annotations(result, config: config, width: width, height: height, idBase: 0))
        #expect(annotations.instances.count == 2)
        #expect(annotations.instances[0].bbox == [2, 3, 5, 6] && annotations.instances[1].bbox == [12, 1, 8, 3])
        #expect(annotations.instances[0].keypoints[0][2] == 2 && annotations.instances[1].keypoints[1][2] == 2)
        let instances = try annotations.sourceInstances(width: width, height: height)
        #expect(instances[0].mask == mask && instances[1].mask == other, "the brush is the instance's mask")

        let proposal = InstanceProposal(instance: PredictedInstance(id: 5, score: 0.7, mask: mask),
                                        keypoints: [KeypointProposal(keypoint: 0, name: "a", x: 4, y: 5, score: 0.6)])
        let prediction = LabelStudioResults.prediction([proposal], config: config, width: width, height: height, version: "v")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(prediction)) as! [String: Any]
        let regions = json["result"] as! [[String: Any]]
        #expect(regions.count == 2 && regions[0]["type"] as? String == "brushlabels" && regions[0]["from_name"] as? String == "b")
        let value = try #require(regions[0]["value"] as? [String: Any])
        #expect(value["format"] as? String == "rle" && value["brushlabels"] as? [String] == ["x"])
        let rle = try #require(value["rle"] as? [Int])
        #expect(try RLE(labelStudioBrush: rle, height: height, width: width) == mask)
        #expect(regions[1]["parentID"] as? String == "dpcl-5" && regions[1]["type"] as? String == "keypointlabels")
    }

    @Test func anAnnotationBecomesInstancesInPixels() throws {
        let config = try LabelConfig(xml: Self.polygonConfig)
        func item(_ json: String) throws -> ResultItem { try JSONDecoder().decode(ResultItem.self, from: Data(json.utf8)) }
        let result = [
            try item(#"{"id": "a", "from_name": "animal", "value": {"points": [[10, 10], [50, 10], [50, 50], [10, 50]]}}"#),
            try item(#"{"id": "b", "from_name": "animal", "value": {"points": [[60, 60], [90, 60], [90, 90]]}}"#),
            // By parentID, although it lies in the other region's box.
            try item(#"{"id": "k1", "from_name": "kp", "parentID": "a", "value": {"x": 70, "y": 70, "keypointlabels": ["nose"]}}"#),
            // By the box that holds it.
            try item(#"{"id": "k2", "from_name": "kp", "value": {"x": 80, "y": 75, "keypointlabels": ["tail"]}}"#),
            try item(#"{"id": "k3", "from_name": "kp", "value": {"x": 5, "y": 5, "keypointlabels": ["unknown"]}}"#),
        ]
        let annotations = try #require(LabelStudioResults.annotations(result, config: config, width: 200, height: 100, idBase: 7000))
        #expect(annotations.category == "horse" && annotations.keypoints == ["nose", "tail"])
        #expect(annotations.instances.map(\.id) == [7001, 7002])
        #expect(annotations.instances[0].keypoints == [[140, 70, 2], [0, 0, 0]])
        #expect(annotations.instances[1].keypoints == [[0, 0, 0], [160, 75, 2]])
        #expect(annotations.instances[0].bbox == [20, 10, 80, 40])
        let instances = try annotations.sourceInstances(width: 200, height: 100)
        #expect(abs((instances[0].mask?.area ?? 0) - 80 * 40) <= 200, "the polygon is the instance's mask")
        #expect(LabelStudioResults.annotations([], config: config, width: 200, height: 100, idBase: 0) == nil, "nothing labelled")
    }

    @Test func proposalsBecomeRegionsWithTheirKeypointsAsChildren() throws {
        let config = try LabelConfig(xml: Self.polygonConfig)
        var pixels = [UInt8](repeating: 0, count: 20 * 10)
        for y in 2..<6 { for x in 4..<12 { pixels[y * 20 + x] = 1 } }
        let mask = try RLE(rowMajor: pixels, height: 10, width: 20)
        #expect(ConvexHull.of(mask).map { [$0.x, $0.y] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) } == [[4, 2], [4, 6], [12, 2], [12, 6]])
        let proposal = InstanceProposal(instance: PredictedInstance(id: 3, score: 0.9, mask: mask),
                                        keypoints: [KeypointProposal(keypoint: 1, name: "tail", x: 5, y: 2.5, score: 0.8)])
        let empty = InstanceProposal(instance: PredictedInstance(id: 4, score: 0.95, mask: mask), keypoints: [])
        let prediction = LabelStudioResults.prediction([empty, proposal], config: config, width: 20, height: 10, version: "dpcl-test")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(prediction)) as! [String: Any]
        #expect(json["model_version"] as? String == "dpcl-test" && json["score"] as? Double == 0.9, "the instance without keypoints is left out")
        let regions = json["result"] as! [[String: Any]]
        #expect(regions.count == 2)
        #expect(regions[0]["type"] as? String == "polygonlabels" && regions[0]["id"] as? String == "dpcl-3")
        #expect((regions[0]["value"] as? [String: Any])?["polygonlabels"] as? [String] == ["horse"])
        #expect(regions[1]["parentID"] as? String == "dpcl-3" && regions[1]["from_name"] as? String == "kp")
        let point = regions[1]["value"] as! [String: Any]
        #expect(point["x"] as? Double == 25 && point["y"] as? Double == 25 && point["keypointlabels"] as? [String] == ["tail"])
    }
}
