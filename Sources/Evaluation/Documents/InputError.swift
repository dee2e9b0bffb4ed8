// Why a ground-truth file or a submission was rejected: the JSON path of the first problem
// and what is wrong there, worded for the person who has to fix the file.

/// Which document a problem was found in.
public enum DocumentRole: String, Sendable {
    case groundTruth = "ground truth"
    case submission = "submission"
}

/// What is wrong at a path.
public enum InputProblem: Sendable, Equatable {
    case malformedJSON(String)
    case unreadable(String)
    case wrongType(expected: String, found: JSONValueKind)
    case notFiniteNumber
    case notAnInteger
    case missingField(String)
    case wrongFormat(expected: String, found: String)
    case benchmarkMismatch(expected: String, found: String)
    case unknownPair(String)
    case duplicatePair(String, firstAt: Int)
    case unknownSourceInstance(id: Int, image: String, category: String)
    case keypointOutOfRange(index: Int, count: Int)
    case maskSizeMismatch(found: [Int], expected: [Int])
    case invalidMask(String)
    case unknownImage(String)
    case unknownCategory(String)
    case duplicateID(String)
    case wrongKeypointCount(found: Int, expected: Int)
    case invalidValue(String)

    public var description: String {
        switch self {
        case .malformedJSON(let message): return message
        case .unreadable(let message): return message
        case .wrongType(let expected, let found): return "expected \(expected), found \(found.rawValue)"
        case .notFiniteNumber: return "not a finite number"
        case .notAnInteger: return "not an integer"
        case .missingField(let name): return "missing field \"\(name)\""
        case .wrongFormat(let expected, let found): return "\"\(found)\" is not \"\(expected)\""
        case .benchmarkMismatch(let expected, let found):
            return "the submission is for benchmark \"\(found)\", this benchmark is \"\(expected)\""
        case .unknownPair(let id): return "unknown pair \"\(id)\""
        case .duplicatePair(let id, let firstAt): return "pair \"\(id)\" appears twice (first at pairs[\(firstAt)])"
        case .unknownSourceInstance(let id, let image, let category):
            return "source image \"\(image)\" has no \(category) instance \(id)"
        case .keypointOutOfRange(let index, let count):
            return "keypoint \(index) is outside the category's \(count) keypoints (0..<\(count))"
        case .maskSizeMismatch(let found, let expected):
            return "mask size \(found) is not the target image's [height, width] \(expected)"
        case .invalidMask(let message): return "invalid mask: \(message)"
        case .unknownImage(let id): return "unknown image \"\(id)\""
        case .unknownCategory(let name): return "unknown category \"\(name)\""
        case .duplicateID(let id): return "duplicate id \(id)"
        case .wrongKeypointCount(let found, let expected):
            return "\(found) keypoints, the category lists \(expected)"
        case .invalidValue(let message): return message
        }
    }
}

/// A rejected document: where, what, and in which document.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let document: DocumentRole
    public let path: JSONPath
    public let problem: InputProblem

    public init(_ document: DocumentRole, _ path: JSONPath, _ problem: InputProblem) {
        self.document = document
        self.path = path
        self.problem = problem
    }

    /// `pairs[12].matches[3].x: not a finite number`
    public var description: String { "\(path): \(problem.description)" }
}
