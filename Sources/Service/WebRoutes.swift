// The pages: the match page and its script and stylesheet (Web/, embedded at build time),
// and example pairs read from a folder of misc-pairs/v1 splits when one is configured.
// Pages may load only what this origin serves (Content-Security-Policy).
import Foundation
import HTTP

struct WebRoutes: Sendable {
    let examples: Examples?

    /// Nothing but this origin; images drawn by the page come as blob: and data: URLs.
    static let policy = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    func register(_ router: inout Router) {
        for (path, bytes) in embeddedWebFiles {
            let response = Self.page(bytes, contentType: Self.contentType(path))
            router.get(path == "index.html" ? "/" : "/" + path, execution: .inline) { _ in response }
        }
        router.get("/examples.json") { _ in try Response.json(ExampleList(examples: examples?.list ?? [])) }
        router.get("/examples/{split}/{file...}") { request in
            guard let examples, let path = examples.imagePath(split: request.pathParameters["split"] ?? "",
                                                             file: request.pathParameters["file"] ?? "") else {
                throw ServiceError.notFound(what: "example image \(request.path)").httpError
            }
            return try Response.file(path, contentType: Self.contentType(path))
        }
    }

    static func page(_ bytes: [UInt8], contentType: String) -> Response {
        var response = Response.bytes(bytes, contentType: contentType)
        response.headers.add("Content-Security-Policy", policy)
        response.headers.add("X-Content-Type-Options", "nosniff")
        return response
    }

    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        default: "application/octet-stream"
        }
    }
}

struct ExampleList: Encodable {
    let examples: [Example]
}

/// One example pair: its images' URLs, the category and its keypoint names, and the source
/// instances (keypoints, masks) as the split gives them.
struct Example: Encodable, @unchecked Sendable {
    let title: String
    let category: String
    let keypoints: [String]
    let source: String
    let target: String
    let instances: [ExampleInstance]
}

struct ExampleInstance: Encodable, @unchecked Sendable {
    let id: Int
    let keypoints: [[Double]]
    /// The split's segmentation, passed on as it is.
    let segmentation: JSONValue?
}

/// A JSON value of a segmentation (numbers, strings, arrays, objects), re-encoded as read.
struct JSONValue: Encodable, @unchecked Sendable {
    let value: Any

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case let number as NSNumber: try container.encode(number.doubleValue)
        case let text as String: try container.encode(text)
        case let array as [Any]: try container.encode(array.map(JSONValue.init))
        case let object as [String: Any]: try container.encode(object.mapValues(JSONValue.init))
        default: try container.encodeNil()
        }
    }
}

/// The first pair of every split found in a folder (`<folder>/<split>/pairs.json`), and the
/// images those pairs name (nothing else of the folder is served).
struct Examples: Sendable {
    let folder: String
    let list: [Example]
    /// Per split, its image files that may be served.
    let files: [String: Set<String>]

    init(folder: String) {
        self.folder = folder
        var list: [Example] = []
        var files: [String: Set<String>] = [:]
        let splits = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        for split in splits {
            guard let data = FileManager.default.contents(atPath: "\(folder)/\(split)/pairs.json"),
                  let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let pairs = document["pairs"] as? [[String: Any]], let pair = pairs.first,
                  let images = document["images"] as? [[String: Any]],
                  let categories = document["categories"] as? [[String: Any]],
                  let instances = document["instances"] as? [[String: Any]],
                  let category = pair["category"] as? String,
                  let names = categories.first(where: { $0["name"] as? String == category })?["keypoints"] as? [String] else { continue }
            func file(_ id: Any?) -> String? { images.first { $0["id"] as? String == id as? String }?["file"] as? String }
            guard let source = file(pair["source"]), let target = file(pair["target"]) else { continue }
            files[split] = [source, target]
            let shown = instances.filter { $0["image"] as? String == pair["source"] as? String && $0["category"] as? String == category }
            list.append(Example(
                title: "\(split): \(pair["id"] as? String ?? "")", category: category, keypoints: names,
                source: "/examples/\(split)/\(source)", target: "/examples/\(split)/\(target)",
                instances: shown.compactMap { instance in
                    guard let id = (instance["id"] as? NSNumber)?.intValue, let keypoints = instance["keypoints"] as? [[Double]] else { return nil }
                    return ExampleInstance(id: id, keypoints: keypoints, segmentation: instance["segmentation"].map(JSONValue.init))
                }))
        }
        self.list = list
        self.files = files
    }

    func imagePath(split: String, file: String) -> String? {
        guard files[split]?.contains(file) == true else { return nil }
        return "\(folder)/\(split)/\(file)"
    }
}
