// What Label Studio sends its ML backend, as types: /setup, /predict and /webhook bodies,
// tasks, annotations and their result items (coordinates in percent of the image). Fields
// the backend does not use are not read.

/// A project as Label Studio names it: "1.1796247428" (id.version), 1, or {"id": 1}.
struct ProjectReference: Decodable, Sendable {
    let id: String

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let text = try? single.decode(String.self) {
            id = text.split(separator: ".").first.map(String.init) ?? text
        } else if let number = try? single.decode(Int.self) {
            id = String(number)
        } else {
            struct Object: Decodable { let id: Int }
            id = String(try single.decode(Object.self).id)
        }
    }
}

struct SetupBody: Decodable, Sendable {
    let project: ProjectReference
    let schema: String
    let hostname: String?
    let accessToken: String?

    enum CodingKeys: String, CodingKey { case project, schema, hostname, accessToken = "access_token" }
}

struct LabelStudioTask: Decodable, Sendable {
    let id: Int?
    /// The task's data, its string values only (the image's URL among them).
    let data: [String: String]

    enum CodingKeys: String, CodingKey { case id, data }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: CodingKeys.self)
        id = try object.decodeIfPresent(Int.self, forKey: .id)
        struct Loose: Decodable {
            let text: String?
            init(from decoder: any Decoder) throws { text = try? decoder.singleValueContainer().decode(String.self) }
        }
        data = (try object.decodeIfPresent([String: Loose].self, forKey: .data) ?? [:]).compactMapValues(\.text)
    }
}

struct PredictBody: Decodable, Sendable {
    let tasks: [LabelStudioTask]
    let project: ProjectReference
}

struct ResultItem: Decodable, Sendable {
    struct Value: Decodable, Sendable {
        let x: Double?, y: Double?, width: Double?, height: Double?
        let points: [[Double]]?
        /// A brush region's mask, Label Studio's RLE of an RGBA image.
        let rle: [Int]?
        let keypointlabels: [String]?
    }

    let id: String?
    let fromName: String?
    let parentID: String?
    let value: Value?

    enum CodingKeys: String, CodingKey { case id, fromName = "from_name", parentID, value }
}

struct LabelStudioAnnotation: Decodable, Sendable {
    let id: Int
    let result: [ResultItem]?
}

struct WebhookBody: Decodable, Sendable {
    struct Deleted: Decodable, Sendable { let id: Int }
    let action: String
    let project: ProjectReference?
    let annotation: LabelStudioAnnotation?
    let task: LabelStudioTask?
    let annotations: [Deleted]?
}
