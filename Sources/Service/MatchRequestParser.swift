// Reads a match request, multipart/form-data (curl -F) or JSON with base64 images, into a
// decoded pair and its options; every problem is a 4xx naming the part and the fix.
import Foundation
import HTTP
import Imaging
import Matching

struct ParsedMatchRequest: Sendable {
    /// Checked here, so that bad input is a 400 before the pair takes a queue slot.
    let pair: PreparedPair
    let options: MatchOptions
}

struct MatchRequestParser {
    let request: Request
    let maxImagePixels: Int

    /// The JSON form: the multipart parts as members, images in base64.
    struct JSONBody: Decodable {
        var source: String
        var target: String
        var annotations: SourceAnnotations
        var source_masks: String?
        var options: MatchOptions?
    }

    func parse() throws(HTTPError) -> ParsedMatchRequest {
        switch request.mediaType {
        case "multipart/form-data": return try parseMultipart()
        case "application/json": return try parseJSON()
        default:
            throw HTTPError(.unsupportedMediaType, code: "unsupported-media-type",
                            message: "send multipart/form-data (parts source, target, annotations, source_masks?, options?) or application/json")
        }
    }

    private func parseMultipart() throws(HTTPError) -> ParsedMatchRequest {
        let parts = try request.multipart()
        func part(_ name: String) -> MultipartPart? { parts.first { $0.name == name } }
        func required(_ name: String) throws(HTTPError) -> [UInt8] {
            guard let part = part(name) else {
                throw HTTPError(.badRequest, code: "missing-part", message: "the request has no part named \(name)")
            }
            return part.body
        }
        let known: Set<String> = ["source", "target", "annotations", "source_masks", "options"]
        if let unknown = parts.first(where: { !known.contains($0.name) }) {
            throw HTTPError(.badRequest, code: "unknown-part",
                            message: "unknown part \(unknown.name); parts are source, target, annotations, source_masks, options")
        }
        let annotations = try decode(SourceAnnotations.self, from: required("annotations"), what: "annotations")
        let options = try part("options").map { (p: MultipartPart) throws(HTTPError) in
            try decode(MatchOptions.self, from: p.body, what: "options")
        } ?? MatchOptions()
        return try assemble(source: required("source"), target: required("target"), annotations: annotations,
                            sourceMasks: part("source_masks")?.body, options: options)
    }

    private func parseJSON() throws(HTTPError) -> ParsedMatchRequest {
        let body = try request.decodeJSON(JSONBody.self)
        func bytes(_ text: String, _ name: String) throws(HTTPError) -> [UInt8] {
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw HTTPError(.badRequest, code: "invalid-base64", message: "\(name) is not valid base64")
            }
            return [UInt8](data)
        }
        return try assemble(source: bytes(body.source, "source"), target: bytes(body.target, "target"),
                            annotations: body.annotations,
                            sourceMasks: try body.source_masks.map { (text: String) throws(HTTPError) in try bytes(text, "source_masks") },
                            options: body.options ?? MatchOptions())
    }

    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws(HTTPError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, code: "invalid-\(what)", message: "\(what): \(JSONErrorDescription.describe(error))")
        } catch {
            throw HTTPError(.badRequest, code: "invalid-\(what)", message: "\(what) is not valid JSON")
        }
    }

    private func assemble(source: [UInt8], target: [UInt8], annotations: SourceAnnotations, sourceMasks: [UInt8]?,
                          options: MatchOptions) throws(HTTPError) -> ParsedMatchRequest {
        let sourceImage = try image(source, "source"), targetImage = try image(target, "target")
        var masks: [InstanceMask]?
        if let sourceMasks {
            do {
                masks = try InstanceIDImage.decode(sourceMasks, limits: limits)
            } catch {
                throw HTTPError(.badRequest, code: "invalid-source-masks", message: "source_masks: \(error.description)")
            }
        }
        do {
            let instances = try annotations.sourceInstances(width: sourceImage.width, height: sourceImage.height, sourceMasks: masks)
            let input = PairInput(source: sourceImage, target: targetImage, instances: instances)
            return ParsedMatchRequest(pair: try input.prepared(), options: options)
        } catch {
            throw HTTPError(.badRequest, code: error.code, message: error.description)
        }
    }

    private var limits: ImageLimits { ImageLimits(maxPixels: maxImagePixels) }

    func image(_ bytes: [UInt8], _ name: String) throws(HTTPError) -> RGBImage {
        try Self.image(bytes, name, maxImagePixels: maxImagePixels)
    }

    /// An uploaded image decoded within the pixel limit: 413 over it, 400 when undecodable.
    static func image(_ bytes: [UInt8], _ name: String, maxImagePixels: Int) throws(HTTPError) -> RGBImage {
        do {
            return try ImageDecoder.decode(bytes, limits: ImageLimits(maxPixels: maxImagePixels))
        } catch {
            if error.isTooLarge {
                throw HTTPError(.contentTooLarge, code: "image-too-large", message: "\(name): \(error.description)")
            }
            throw HTTPError(.badRequest, code: "invalid-image", message: "\(name) is not a decodable JPEG or PNG: \(error.description)")
        }
    }
}
