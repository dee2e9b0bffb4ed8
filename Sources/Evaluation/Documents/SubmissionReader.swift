// Reads a misc-predictions/v1 document as a stream: each `pairs[]` entry is read into one
// reused PairEntry and handed to the caller before the next is read, so memory does not
// grow with the file. Only shape and number checks happen here; the checks that need the
// ground truth (pair names, instances, keypoints, mask sizes) are the caller's.
import Imaging

/// One submitted match, as numbers.
public struct SubmittedMatch: Sendable {
    public var sourceInstance: Int
    public var keypoint: Int
    public var x: Double
    public var y: Double
    /// The predicted target instance (any integer: a label for grouping); nil where the
    /// submission leaves it out or writes null.
    public var targetInstance: Int? = nil
}

/// One predicted target instance.
public struct SubmittedInstance: Sendable {
    public var id: Int
    public var mask: Segmentation?
}

/// One `pairs[]` entry; reused from entry to entry.
public struct PairEntry: Sendable {
    /// Position in `pairs`, for error paths.
    public var index = 0
    public var pair: String?
    public var matches: [SubmittedMatch] = []
    public var instances: [SubmittedInstance] = []

    mutating func reset(index: Int) {
        self.index = index
        pair = nil
        matches.removeAll(keepingCapacity: true)
        instances.removeAll(keepingCapacity: true)
    }

    public func path(_ more: JSONPath.Component...) -> JSONPath {
        JSONPath([.key("pairs"), .index(index)] + more)
    }

    /// `pairs[pair].<section>[element].<field>`, built only when an error needs it.
    static func path(pair: Int, _ section: String, _ element: Int, _ field: String? = nil) -> JSONPath {
        var components: [JSONPath.Component] = [.key("pairs"), .index(pair), .key(section), .index(element)]
        if let field { components.append(.key(field)) }
        return JSONPath(components)
    }
}

/// The document-level members of a submission.
public struct SubmissionHeader: Sendable, Equatable {
    public var format: String?
    public var benchmark: String?
    public var method: String?
}

public enum SubmissionReader {
    public static let format = "misc-predictions/v1"
    /// Most matches one pair entry may hold: far above any real pair (52 keypoints × 4 × 4
    /// instances × a few candidates), low enough that one entry cannot exhaust memory.
    public static let maximumMatchesPerPair = 1_000_000
    /// Most predicted instances one pair entry may hold.
    public static let maximumInstancesPerPair = 10_000

    /// Streams the submission; `onPair` sees each entry in document order. The header is
    /// checked as soon as each of its members is read, and once more at the end (a member
    /// may follow `pairs`); `expectedBenchmark` is the ground truth's name.
    public static func read(
        source: ByteSource, expectedBenchmark: String, onPair: (inout PairEntry) throws -> Void
    ) throws -> SubmissionHeader {
        let cursor = DocumentCursor(reader: JSONReader(source: source), role: .submission)
        let reader = cursor.reader
        var header = SubmissionHeader()
        var entry = PairEntry()
        entry.matches.reserveCapacity(1024)
        try cursor.located(JSONPath()) {
            try cursor.enterObject(JSONPath())
            var first = true
            while try reader.nextMember(&first) {
                if reader.stringIs("format") {
                    let format = try cursor.string(JSONPath([.key("format")]))
                    guard format == Self.format else {
                        throw cursor.fail(JSONPath([.key("format")]), .wrongFormat(expected: Self.format, found: format))
                    }
                    header.format = format
                } else if reader.stringIs("benchmark") {
                    let benchmark = try cursor.string(JSONPath([.key("benchmark")]))
                    guard benchmark == expectedBenchmark else {
                        throw cursor.fail(JSONPath([.key("benchmark")]),
                                          .benchmarkMismatch(expected: expectedBenchmark, found: benchmark))
                    }
                    header.benchmark = benchmark
                } else if reader.stringIs("method") {
                    if try !reader.readNull() { header.method = try cursor.string(JSONPath([.key("method")])) }
                } else if reader.stringIs("pairs") {
                    try cursor.enterArray(JSONPath([.key("pairs")]))
                    var firstPair = true
                    var index = 0
                    while try reader.nextElement(&firstPair) {
                        entry.reset(index: index)
                        try cursor.located(entry.path()) { try readEntry(cursor, into: &entry) }
                        try onPair(&entry)
                        index += 1
                    }
                } else {
                    try reader.skipValue()
                }
            }
            try reader.finish()
        }
        guard header.format != nil else { throw cursor.fail(JSONPath(), .missingField("format")) }
        return header
    }

    private static func readEntry(_ cursor: DocumentCursor, into entry: inout PairEntry) throws {
        let reader = cursor.reader
        let pair = entry.index
        try cursor.enterObject(entry.path())
        var first = true
        while try reader.nextMember(&first) {
            if reader.stringIs("pair") {
                entry.pair = try cursor.identifier(entry.path(.key("pair")))
            } else if reader.stringIs("matches") {
                try readList(cursor, pair: pair, "matches", limit: maximumMatchesPerPair, into: &entry.matches) {
                    try readMatch(cursor, pair: pair, index: $0)
                }
            } else if reader.stringIs("instances") {
                try readList(cursor, pair: pair, "instances", limit: maximumInstancesPerPair, into: &entry.instances) {
                    try readInstance(cursor, pair: pair, index: $0)
                }
            } else {
                try reader.skipValue()
            }
        }
    }

    /// `pairs[pair].<section>`: null (nothing) or an array of at most `limit` elements, each
    /// read by `readElement` from its index; the limit keeps one entry from exhausting memory.
    @inline(__always)
    private static func readList<Element>(
        _ cursor: DocumentCursor, pair: Int, _ section: String, limit: Int, into list: inout [Element],
        _ readElement: (_ index: Int) throws -> Element
    ) throws {
        let reader = cursor.reader
        if try reader.readNull() { return }
        func path() -> JSONPath { JSONPath([.key("pairs"), .index(pair), .key(section)]) }
        try cursor.enterArray(path())
        var first = true
        while try reader.nextElement(&first) {
            guard list.count < limit else { throw cursor.fail(path(), .invalidValue("more than \(limit) \(section) in one pair")) }
            list.append(try readElement(list.count))
        }
    }

    @inline(__always)
    private static func readMatch(_ cursor: DocumentCursor, pair: Int, index: Int) throws -> SubmittedMatch {
        let reader = cursor.reader
        try cursor.enterObject(PairEntry.path(pair: pair, "matches", index))
        var sourceInstance: Int?
        var keypoint: Int?
        var x: Double?
        var y: Double?
        var targetInstance: Int?
        var first = true
        while try reader.nextMember(&first) {
            // Field names are told apart by length first: one comparison for most.
            switch reader.stringBytes.count {
            case 1 where reader.stringIs("x"):
                x = try cursor.finite(PairEntry.path(pair: pair, "matches", index, "x"))
            case 1 where reader.stringIs("y"):
                y = try cursor.finite(PairEntry.path(pair: pair, "matches", index, "y"))
            case 5 where reader.stringIs("score"):
                _ = try cursor.finite(PairEntry.path(pair: pair, "matches", index, "score"))
            case 8 where reader.stringIs("keypoint"):
                keypoint = try cursor.integer(PairEntry.path(pair: pair, "matches", index, "keypoint"))
            case 15 where reader.stringIs("source_instance"):
                sourceInstance = try cursor.integer(PairEntry.path(pair: pair, "matches", index, "source_instance"))
            case 15 where reader.stringIs("target_instance"):
                if try !reader.readNull() {
                    targetInstance = try cursor.integer(PairEntry.path(pair: pair, "matches", index, "target_instance"))
                }
            default:
                try reader.skipValue()
            }
        }
        guard let sourceInstance else {
            throw cursor.fail(PairEntry.path(pair: pair, "matches", index), .missingField("source_instance"))
        }
        guard let keypoint else { throw cursor.fail(PairEntry.path(pair: pair, "matches", index), .missingField("keypoint")) }
        guard let x else { throw cursor.fail(PairEntry.path(pair: pair, "matches", index), .missingField("x")) }
        guard let y else { throw cursor.fail(PairEntry.path(pair: pair, "matches", index), .missingField("y")) }
        return SubmittedMatch(sourceInstance: sourceInstance, keypoint: keypoint, x: x, y: y, targetInstance: targetInstance)
    }

    private static func readInstance(_ cursor: DocumentCursor, pair: Int, index: Int) throws -> SubmittedInstance {
        let reader = cursor.reader
        let path = PairEntry.path(pair: pair, "instances", index)
        try cursor.enterObject(path)
        var id: Int?
        var mask: Segmentation?
        var first = true
        while try reader.nextMember(&first) {
            if reader.stringIs("id") {
                id = try cursor.integer(path.appending(.key("id")))
            } else if reader.stringIs("score") {
                _ = try cursor.finite(path.appending(.key("score")))
            } else if reader.stringIs("segmentation") {
                if try !reader.readNull() { mask = try cursor.segmentation(path.appending(.key("segmentation"))) }
            } else {
                try reader.skipValue()
            }
        }
        guard let id else { throw cursor.fail(path, .missingField("id")) }
        return SubmittedInstance(id: id, mask: mask)
    }
}
