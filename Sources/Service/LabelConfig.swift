// What the Label Studio backend reads from a project's label config: the Image tag, the
// KeyPointLabels tag (its label values are the keypoint names) and the tag whose regions are
// the instances (RectangleLabels, PolygonLabels or BrushLabels); a config it cannot serve is refused with
// the tag that is missing.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

struct LabelConfig: Sendable, Equatable {
    enum InstanceKind: String, Sendable {
        case rectangle = "rectanglelabels"
        case polygon = "polygonlabels"
        case brush = "brushlabels"
    }

    /// The Image tag's name and the task data key of its `value` (`$image` → `image`).
    let imageName: String
    let imageKey: String
    let keypointsName: String
    let keypointNames: [String]
    let instanceName: String
    let instanceKind: InstanceKind
    /// The instance tag's first label: the category.
    let category: String

    enum Problem: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case missing(String)

        var description: String {
            switch self {
            case .unreadable(let reason): "the label config is not readable XML: \(reason)"
            case .missing(let what): "the label config has no \(what)"
            }
        }
    }

    init(xml: String) throws(Problem) {
        let reader = Reader()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = reader
        guard parser.parse() else {
            throw .unreadable(parser.parserError.map { "\($0.localizedDescription)" } ?? "parse error")
        }
        guard let image = reader.tags.first(where: { $0.name == "Image" }),
              let imageName = image.attributes["name"], let value = image.attributes["value"], value.hasPrefix("$") else {
            throw .missing("Image tag with a name and a value such as \"$image\"")
        }
        func labelled(_ tag: String) -> Reader.Tag? {
            reader.tags.first { $0.name == tag && $0.attributes["toName"]?.split(separator: ",").contains(Substring(imageName)) == true }
        }
        guard let keypoints = labelled("KeyPointLabels"), let keypointsName = keypoints.attributes["name"], !keypoints.labels.isEmpty else {
            throw .missing("KeyPointLabels tag with Label values (the keypoint names) on the Image \(imageName)")
        }
        let instances: (Reader.Tag, InstanceKind)? = labelled("RectangleLabels").map { ($0, .rectangle) }
            ?? labelled("PolygonLabels").map { ($0, .polygon) }
            ?? labelled("BrushLabels").map { ($0, .brush) }
        guard let (instanceTag, kind) = instances, let instanceName = instanceTag.attributes["name"],
              let category = instanceTag.labels.first else {
            throw .missing("RectangleLabels, PolygonLabels or BrushLabels tag with a Label (the category) on the Image \(imageName) for the instances")
        }
        self.imageName = imageName
        imageKey = String(value.dropFirst())
        self.keypointsName = keypointsName
        keypointNames = keypoints.labels
        self.instanceName = instanceName
        instanceKind = kind
        self.category = category
    }

    /// Every tag in document order, each control tag with the values of its Label children.
    private final class Reader: NSObject, XMLParserDelegate {
        struct Tag {
            let name: String
            let attributes: [String: String]
            var labels: [String] = []
        }

        var tags: [Tag] = []
        /// The innermost open labels tag (KeyPointLabels, RectangleLabels, ...), by index.
        private var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "Label", let owner = open.last, let value = attributes["value"] {
                tags[owner].labels.append(value)
            }
            tags.append(Tag(name: name, attributes: attributes))
            open.append(tags.count - 1)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }
    }
}
