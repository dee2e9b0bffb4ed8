// Why a COCO file could not become a split: each case names the file, the image or the
// annotation to fix, in one line.

public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case invalidFile(path: String, reason: String)
    case duplicateImage(id: Int)
    case duplicateCategory(id: Int)
    case duplicateAnnotation(id: Int)
    case invalidImageSize(id: Int, width: Int, height: Int)
    case unknownImage(annotation: Int, image: Int)
    case unknownCategory(annotation: Int, category: Int)
    case wrongKeypointCount(annotation: Int, found: Int, expected: Int, category: String)
    case invalidMask(annotation: Int, reason: String)
    case unknownCategoryName(String, available: [String])
    case categoryWithoutKeypoints(String)
    case noKeypointCategory
    case invalidOption(String)
    case noPairs(String)
    case output(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read \(path)"
        case .invalidFile(let path, let reason): "\(path) is not a COCO keypoint file: \(reason)"
        case .duplicateImage(let id): "image id \(id) is listed twice in images"
        case .duplicateCategory(let id): "category id \(id) is listed twice in categories"
        case .duplicateAnnotation(let id): "annotation id \(id) is used twice"
        case .invalidImageSize(let id, let width, let height):
            "image \(id) has size \(width)×\(height); width and height must be positive"
        case .unknownImage(let annotation, let image): "annotation \(annotation): image_id \(image) is not in images"
        case .unknownCategory(let annotation, let category): "annotation \(annotation): category_id \(category) is not in categories"
        case .wrongKeypointCount(let annotation, let found, let expected, let category):
            "annotation \(annotation): keypoints has \(found) values, expected \(expected) (x, y, v for each of the \(expected / 3) keypoints of \(category))"
        case .invalidMask(let annotation, let reason): "annotation \(annotation): segmentation \(reason)"
        case .unknownCategoryName(let name, let available):
            "no category named \(name); the file has \(available.joined(separator: ", "))"
        case .categoryWithoutKeypoints(let name): "category \(name) has no keypoints list"
        case .noKeypointCategory: "no category of the file has a keypoints list"
        case .invalidOption(let reason): reason
        case .noPairs(let reason): "no pair to write: \(reason)"
        case .output(let path, let reason): "cannot write \(path): \(reason)"
        }
    }

    /// A decoding error as one line: where in the document, and what was found there.
    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(at(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(at(context.codingPath)): missing \(key.stringValue)"
        @unknown default:
            return "\(error)"
        }
    }
}
