// Stored reference sets: each a folder under <data>/references/<set>/ with its images as
// sent and a set.json of their annotations, written whole and renamed into place so a
// restart finds either the old set or the new one; decoded sets are kept in memory.
import Foundation
import HTTP
import Imaging
import Leaderboard
import Matching

struct ReferenceSummary: Encodable, Sendable {
    let name: String
    let category: String
    let keypoints: [String]
    let images: Int
    let instances: Int
    /// The images as sent plus set.json: what counts against the bound.
    let bytes: Int
}

final class ReferenceStore: @unchecked Sendable {
    let directory: URL
    let maxSets: Int
    let maxSetBytes: Int
    let maxImagePixels: Int
    private let lock = NSLock()
    private var loaded: [String: (set: PreparedReferences, summary: ReferenceSummary)] = [:]

    /// The document beside the images.
    struct Document: Codable {
        struct Image: Codable {
            var file: String
            var annotations: SourceAnnotations
            var key: String?
        }
        var category: String
        var keypoints: [String]
        var images: [Image]
    }

    init(dataDirectory: String, maxSets: Int, maxSetBytes: Int, maxImagePixels: Int) {
        directory = URL(fileURLWithPath: dataDirectory).appending(path: "references")
        self.maxSets = maxSets
        self.maxSetBytes = maxSetBytes
        self.maxImagePixels = maxImagePixels
    }

    static func checkName(_ name: String) throws(HTTPError) {
        guard Names.isValid(name) else {
            throw HTTPError(.badRequest, code: "invalid-name", message: "a reference set's name is \(Names.rule)")
        }
    }

    /// The names on disk (a folder with its set.json).
    func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return entries.filter { Names.isValid($0)
            && FileManager.default.fileExists(atPath: directory.appending(path: "\($0)/set.json").path) }.sorted()
    }

    /// Stores `parsed` as `name`, replacing a set of that name; 413 over either bound.
    func put(_ name: String, _ parsed: ParsedReferences) throws(HTTPError) -> ReferenceSummary {
        try Self.checkName(name)
        let document = Document(category: parsed.prepared.set.category, keypoints: parsed.prepared.set.keypoints,
                                images: parsed.uploads.enumerated().map { Document.Image(file: "image-\($0.offset)", annotations: $0.element.annotations, key: $0.element.key) })
        let json: Data
        do { json = try JSONEncoder().encode(document) } catch {
            throw HTTPError(.internalServerError, code: "internal", message: "the reference set could not be encoded: \(error)")
        }
        let bytes = json.count + parsed.uploads.reduce(0) { $0 + $1.bytes.count }
        guard bytes <= maxSetBytes else {
            throw HTTPError(.contentTooLarge, code: "reference-set-too-large",
                            message: "the reference set is \(bytes) bytes; the limit is \(maxSetBytes) (inference.max_reference_set_bytes)")
        }
        lock.lock()
        defer { lock.unlock() }
        let existing = names()
        guard existing.contains(name) || existing.count < maxSets else {
            throw HTTPError(.contentTooLarge, code: "too-many-reference-sets",
                            message: "\(existing.count) reference sets are stored; the limit is \(maxSets) (inference.max_reference_sets): delete one first")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let staging = directory.appending(path: ".staging-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
            for (index, upload) in parsed.uploads.enumerated() {
                try Data(upload.bytes).write(to: staging.appending(path: "image-\(index)"))
            }
            try json.write(to: staging.appending(path: "set.json"))
            let final = directory.appending(path: name)
            if FileManager.default.fileExists(atPath: final.path) {
                let old = directory.appending(path: ".old-\(UUID().uuidString)")
                try FileManager.default.moveItem(at: final, to: old)
                try FileManager.default.moveItem(at: staging, to: final)
                try? FileManager.default.removeItem(at: old)
            } else {
                try FileManager.default.moveItem(at: staging, to: final)
            }
        } catch {
            throw HTTPError(.internalServerError, code: "storage", message: "the reference set could not be stored: \(error.localizedDescription)")
        }
        let summary = Self.summary(name, parsed.prepared, bytes: bytes)
        loaded[name] = (parsed.prepared, summary)
        return summary
    }

    /// The set and its summary, from memory or from disk; 404 when there is none.
    func get(_ name: String) throws(HTTPError) -> (set: PreparedReferences, summary: ReferenceSummary) {
        try Self.checkName(name)
        lock.lock()
        defer { lock.unlock() }
        if let entry = loaded[name] { return entry }
        guard let (uploads, jsonBytes) = try read(name) else {
            throw ServiceError.notFound(what: "reference set \(name)").httpError
        }
        do {
            let parsed = try ReferencesParser.assemble(uploads, maxImagePixels: maxImagePixels)
            let entry = (parsed.prepared, Self.summary(name, parsed.prepared, bytes: jsonBytes + uploads.reduce(0) { $0 + $1.bytes.count }))
            loaded[name] = entry
            return entry
        } catch {
            throw HTTPError(.internalServerError, code: "storage", message: "reference set \(name) cannot be read back: \(error.message)")
        }
    }

    /// The uploads of a stored set as they came (empty when there is none).
    func uploads(_ name: String) throws(HTTPError) -> [ReferenceUpload] {
        try Self.checkName(name)
        lock.lock()
        defer { lock.unlock() }
        return try read(name)?.uploads ?? []
    }

    /// The set's uploads and the size of its set.json, from disk; nil when there is none.
    private func read(_ name: String) throws(HTTPError) -> (uploads: [ReferenceUpload], jsonBytes: Int)? {
        let folder = directory.appending(path: name)
        guard let json = FileManager.default.contents(atPath: folder.appending(path: "set.json").path) else { return nil }
        do {
            let document = try JSONDecoder().decode(Document.self, from: json)
            let uploads = try document.images.map { image in
                ReferenceUpload(bytes: [UInt8](try Data(contentsOf: folder.appending(path: image.file))),
                                annotations: image.annotations, key: image.key)
            }
            return (uploads, json.count)
        } catch {
            throw HTTPError(.internalServerError, code: "storage", message: "reference set \(name) cannot be read back: \(error)")
        }
    }

    func delete(_ name: String) throws(HTTPError) {
        try Self.checkName(name)
        lock.lock()
        defer { lock.unlock() }
        loaded[name] = nil
        let folder = directory.appending(path: name)
        guard FileManager.default.fileExists(atPath: folder.appending(path: "set.json").path) else {
            throw ServiceError.notFound(what: "reference set \(name)").httpError
        }
        do { try FileManager.default.removeItem(at: folder) } catch {
            throw HTTPError(.internalServerError, code: "storage", message: "reference set \(name) could not be deleted: \(error.localizedDescription)")
        }
    }

    private static func summary(_ name: String, _ prepared: PreparedReferences, bytes: Int) -> ReferenceSummary {
        ReferenceSummary(name: name, category: prepared.set.category, keypoints: prepared.set.keypoints,
                         images: prepared.set.images.count, instances: prepared.set.images.reduce(0) { $0 + $1.instances.count },
                         bytes: bytes)
    }
}
