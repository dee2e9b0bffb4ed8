// Puts the parts of a sharded run (misc-predictions/v1 files) back into one submission:
// each part is scanned once for where its pair entries lie, and the entries are copied as
// they are, in the split's order, so the merge of N parts equals one whole run's file.
import Foundation

public struct PredictionParts {
    /// Where one pair's entry lies: its part and byte range.
    struct Entry {
        let part: Int
        let range: Range<Int>
    }

    public let paths: [String]
    public let benchmark: String
    public let method: String
    private let entries: [String: Entry]

    /// Scans every part; a pair predicted twice, a pair the split does not list, parts of
    /// another benchmark or method, or a file that is not predictions are errors.
    public init(paths: [String], benchmark: String, pairs: Set<String>) throws(PredictionMergeError) {
        var entries: [String: Entry] = [:]
        var method: String?
        for (part, path) in paths.enumerated() {
            let scanned: (benchmark: String?, method: String?, entries: [(String, Range<Int>)])
            do {
                scanned = try Self.scan(path)
            } catch let error as PredictionMergeError {
                throw error
            } catch {
                throw .unreadable(path: path, reason: "\(error)")
            }
            guard scanned.benchmark == benchmark else {
                throw .otherBenchmark(path: path, found: scanned.benchmark ?? "none", expected: benchmark)
            }
            if let method, scanned.method != method {
                throw .otherMethod(path: path, found: scanned.method ?? "none", expected: method)
            }
            method = scanned.method
            for (pair, range) in scanned.entries {
                guard pairs.contains(pair) else { throw .unknownPair(pair: pair, path: path) }
                if let first = entries[pair] { throw .duplicate(pair: pair, first: paths[first.part], second: path) }
                entries[pair] = Entry(part: part, range: range)
            }
        }
        self.paths = paths
        self.benchmark = benchmark
        self.method = method ?? ""
        self.entries = entries
    }

    /// The split's pairs that no part holds, in the split's order.
    public func missing(from order: [String]) -> [String] { order.filter { entries[$0] == nil } }

    /// Writes the merged document with the entries in `order` (the pairs that no part holds
    /// left out); through a temporary file renamed into place, so a failed merge leaves no
    /// half-written output.
    public func write(order: [String], to output: String) throws(PredictionMergeError) {
        let temporary = output + ".partial-\(getpid())"
        do {
            guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                throw PredictionMergeError.unwritable(path: output, reason: "cannot create \(temporary)")
            }
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? out.close() }
            let inputs = try paths.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) }
            defer { inputs.forEach { try? $0.close() } }
            // The header as JSONEncoder with sorted keys writes it, so the file is the one a
            // whole run writes.
            let encoder = JSONEncoder()
            func json(_ text: String) throws -> Data { try encoder.encode(text) }
            var header = Data("{\"benchmark\":".utf8) + (try json(benchmark))
            header += Data(",\"format\":".utf8) + (try json("misc-predictions/v1"))
            header += Data(",\"method\":".utf8) + (try json(method)) + Data(",\"pairs\":[".utf8)
            try out.write(contentsOf: header)
            var first = true
            for pair in order {
                guard let entry = entries[pair] else { continue }
                if !first { try out.write(contentsOf: Data(",".utf8)) }
                first = false
                let input = inputs[entry.part]
                try input.seek(toOffset: UInt64(entry.range.lowerBound))
                guard let bytes = try input.read(upToCount: entry.range.count), bytes.count == entry.range.count else {
                    throw PredictionMergeError.unreadable(path: paths[entry.part], reason: "changed while merging")
                }
                try out.write(contentsOf: bytes)
            }
            try out.write(contentsOf: Data("]}".utf8))
            try out.synchronize()
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: temporary, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if let error = error as? PredictionMergeError { throw error }
            throw .unwritable(path: output, reason: "\(error)")
        }
    }

    /// The benchmark, the method and each entry's pair id and byte range.
    private static func scan(_ path: String) throws -> (benchmark: String?, method: String?, entries: [(String, Range<Int>)]) {
        let reader = JSONReader(source: try FileByteSource(path: path))
        guard try reader.enterObject() else { throw PredictionMergeError.notPredictions(path: path, reason: "not a JSON object") }
        var benchmark: String?, method: String?, format: String?
        var entries: [(String, Range<Int>)] = []
        var first = true
        while try reader.nextMember(&first) {
            if reader.stringIs("format") {
                format = try reader.readString()
            } else if reader.stringIs("benchmark") {
                benchmark = try reader.readString()
            } else if reader.stringIs("method") {
                method = try reader.readString()
            } else if reader.stringIs("pairs") {
                guard try reader.enterArray() else { throw PredictionMergeError.notPredictions(path: path, reason: "pairs is not an array") }
                var firstElement = true
                while try reader.nextElement(&firstElement) {
                    _ = try reader.peekKind()
                    let start = reader.offset
                    guard try reader.enterObject() else {
                        throw PredictionMergeError.notPredictions(path: path, reason: "pairs[\(entries.count)] is not an object")
                    }
                    var pair: String?
                    var firstMember = true
                    while try reader.nextMember(&firstMember) {
                        if reader.stringIs("pair") { pair = try reader.readString() } else { try reader.skipValue() }
                    }
                    guard let pair else {
                        throw PredictionMergeError.notPredictions(path: path, reason: "pairs[\(entries.count)] has no string \"pair\"")
                    }
                    entries.append((pair, start..<reader.offset))
                }
            } else {
                try reader.skipValue()
            }
        }
        try reader.finish()
        guard format == "misc-predictions/v1" else {
            throw PredictionMergeError.notPredictions(path: path, reason: "format is \(format ?? "absent"), expected misc-predictions/v1")
        }
        return (benchmark, method, entries)
    }
}

public enum PredictionMergeError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notPredictions(path: String, reason: String)
    case otherBenchmark(path: String, found: String, expected: String)
    case otherMethod(path: String, found: String, expected: String)
    case unknownPair(pair: String, path: String)
    case duplicate(pair: String, first: String, second: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): \(reason)"
        case .notPredictions(let path, let reason): "\(path) is not misc-predictions/v1: \(reason)"
        case .otherBenchmark(let path, let found, let expected): "\(path) predicts benchmark \(found), the split is \(expected)"
        case .otherMethod(let path, let found, let expected): "\(path) names method \(found), the parts before it \(expected)"
        case .unknownPair(let pair, let path): "\(path) predicts pair \(pair), which the split does not list"
        case .duplicate(let pair, let first, let second): "pair \(pair) is predicted twice: in \(first) and in \(second)"
        case .unwritable(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
