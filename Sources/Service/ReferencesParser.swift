// Reads references (and, for a proposal, its target) from a request: JSON with base64
// images, or multipart/form-data whose `references` part names the image parts. Every
// problem is a 4xx naming the part and the fix.
import Foundation
import HTTP
import Imaging
import Matching

/// One reference image as sent: its bytes (stored as they came) and its annotations.
struct ReferenceUpload: Sendable {
    let bytes: [UInt8]
    let annotations: SourceAnnotations
    /// What the image stands for where a set is kept in step with another tool (a Label
    /// Studio task), so that one image can be replaced or removed.
    var key: String? = nil
}

struct ParsedReferences: Sendable {
    /// Checked here, so that bad input is a 400 before it takes a queue slot or disk space.
    let prepared: PreparedReferences
    let uploads: [ReferenceUpload]
}

struct ParsedProposeRequest: Sendable {
    let target: RGBImage
    /// Inline references, or the name of a stored set.
    let source: Source
    let options: MatchOptions

    enum Source: Sendable {
        case inline(ParsedReferences)
        case stored(String)
    }
}

struct ReferencesParser {
    let request: Request
    let maxImagePixels: Int

    /// One entry of `references`: the image (base64 in JSON; in multipart the name of the
    /// part that holds it) and its annotations.
    struct Entry: Decodable {
        var image: String
        var annotations: SourceAnnotations
    }

    struct JSONBody: Decodable {
        var target: String?
        var set: String?
        var references: [Entry]?
        var options: MatchOptions?
    }

    /// The body of POST /v1/references/{set}.
    func parseReferences() throws(HTTPError) -> ParsedReferences {
        let body = try read(allowed: ["references"])
        guard let references = body.references else { throw missing("references") }
        return try Self.assemble(references.map { ReferenceUpload(bytes: $0.0, annotations: $0.1) }, maxImagePixels: maxImagePixels)
    }

    /// The body of POST /v1/propose: a target and either `references` or `set`.
    func parsePropose() throws(HTTPError) -> ParsedProposeRequest {
        let body = try read(allowed: ["target", "set", "references", "options"])
        guard let target = body.target else { throw missing("target") }
        let source: ParsedProposeRequest.Source
        switch (body.references, body.set) {
        case (let references?, nil):
            source = .inline(try Self.assemble(references.map { ReferenceUpload(bytes: $0.0, annotations: $0.1) }, maxImagePixels: maxImagePixels))
        case (nil, let name?): source = .stored(name)
        default:
            throw HTTPError(.badRequest, code: "invalid-references", message: "send either references (inline) or set (a stored reference set's name), not both")
        }
        return ParsedProposeRequest(target: try matchParser.image(target, "target"), source: source, options: body.options ?? MatchOptions())
    }

    private var matchParser: MatchRequestParser { MatchRequestParser(request: request, maxImagePixels: maxImagePixels) }

    private func missing(_ name: String) -> HTTPError {
        HTTPError(.badRequest, code: "missing-part", message: "the request has no \(name)")
    }

    /// The fields of either form, the references' images still encoded.
    private struct Body {
        var target: [UInt8]?
        var set: String?
        var references: [([UInt8], SourceAnnotations)]?
        var options: MatchOptions?
    }

    private func read(allowed: Set<String>) throws(HTTPError) -> Body {
        switch request.mediaType {
        case "multipart/form-data": return try readMultipart(allowed: allowed)
        case "application/json": return try readJSON(allowed: allowed)
        default:
            throw HTTPError(.unsupportedMediaType, code: "unsupported-media-type",
                            message: "send multipart/form-data (parts \(allowed.sorted().joined(separator: ", ")) and the image parts that references name) or application/json")
        }
    }

    private func readJSON(allowed: Set<String>) throws(HTTPError) -> Body {
        let body = try request.decodeJSON(JSONBody.self)
        for (name, present) in [("target", body.target != nil), ("set", body.set != nil), ("options", body.options != nil)]
            where present && !allowed.contains(name) {
            throw HTTPError(.badRequest, code: "unknown-part", message: "\(name) does not belong here; send \(allowed.sorted().joined(separator: ", "))")
        }
        return Body(target: try body.target.map { (text: String) throws(HTTPError) in try Self.base64(text, "target") },
                    set: body.set,
                    references: try body.references.map { (entries: [Entry]) throws(HTTPError) in
                        try entries.enumerated().map { (index, entry) throws(HTTPError) in
                            (try Self.base64(entry.image, "references[\(index)].image"), entry.annotations)
                        }
                    },
                    options: body.options)
    }

    private func readMultipart(allowed: Set<String>) throws(HTTPError) -> Body {
        let parts = try request.multipart()
        func part(_ name: String) -> MultipartPart? { parts.first { $0.name == name } }
        let entries = try part("references").map { (p: MultipartPart) throws(HTTPError) in
            try matchParser.decode([Entry].self, from: p.body, what: "references")
        }
        let imageParts = Set(entries?.map(\.image) ?? [])
        if let unknown = parts.first(where: { !allowed.contains($0.name) && !imageParts.contains($0.name) }) {
            throw HTTPError(.badRequest, code: "unknown-part",
                            message: "unknown part \(unknown.name); parts are \(allowed.sorted().joined(separator: ", ")) and the image parts that references name")
        }
        let options = try part("options").map { (p: MultipartPart) throws(HTTPError) in
            try matchParser.decode(MatchOptions.self, from: p.body, what: "options")
        }
        return Body(target: part("target")?.body, set: part("set").map { String(decoding: $0.body, as: UTF8.self) },
                    references: try entries.map { (entries: [Entry]) throws(HTTPError) in
                        try entries.map { (entry) throws(HTTPError) in
                            guard let image = part(entry.image) else {
                                throw HTTPError(.badRequest, code: "missing-part",
                                                message: "references name the image part \(entry.image), which the request lacks")
                            }
                            return (image.body, entry.annotations)
                        }
                    },
                    options: options)
    }

    private static func base64(_ text: String, _ name: String) throws(HTTPError) -> [UInt8] {
        guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
            throw HTTPError(.badRequest, code: "invalid-base64", message: "\(name) is not valid base64")
        }
        return [UInt8](data)
    }

    /// The images decoded and checked with their annotations: one category and one keypoint
    /// list over the whole set.
    static func assemble(_ entries: [ReferenceUpload], maxImagePixels: Int) throws(HTTPError) -> ParsedReferences {
        guard let first = entries.first?.annotations else {
            throw HTTPError(.badRequest, code: MatchInputError.noReferences.code, message: MatchInputError.noReferences.description)
        }
        guard let names = first.keypoints, !names.isEmpty else {
            throw HTTPError(.badRequest, code: "invalid-references", message: "references[0].annotations must list the category's keypoint names (keypoints)")
        }
        var images: [ReferenceImage] = []
        for (index, entry) in entries.enumerated() {
            let annotations = entry.annotations
            guard annotations.category == first.category, annotations.keypoints ?? names == names else {
                throw HTTPError(.badRequest, code: "invalid-references",
                                message: "references[\(index)] is not category \(first.category) with the keypoints of references[0]: a set holds one category")
            }
            let image = try MatchRequestParser.image(entry.bytes, "references[\(index)].image", maxImagePixels: maxImagePixels)
            do {
                images.append(ReferenceImage(image: image, instances: try annotations.sourceInstances(width: image.width, height: image.height)))
            } catch {
                throw HTTPError(.badRequest, code: error.code, message: "references[\(index)]: \(error.description)")
            }
        }
        do {
            let prepared = try ReferenceSet(category: first.category, keypoints: names, images: images).prepared()
            return ParsedReferences(prepared: prepared, uploads: entries)
        } catch {
            throw HTTPError(.badRequest, code: error.code, message: error.description)
        }
    }
}
