// A COCO keypoint file as read: images, annotations and categories with only the members a
// split needs. Masks are kept as written (checked later, only for the instances kept), so a
// crowd region's or an unused category's mask never costs a parse or fails a run.
import Foundation

public struct COCOKeypointFile: Decodable, Sendable {
    public struct Image: Decodable, Sendable {
        public let id: Int
        public let fileName: String
        public let width: Int
        public let height: Int

        enum CodingKeys: String, CodingKey { case id, fileName = "file_name", width, height }
    }

    public struct Category: Decodable, Sendable {
        public let id: Int
        public let name: String
        /// Empty for a category without keypoints (a detection-only category).
        public let keypoints: [String]

        enum CodingKeys: String, CodingKey { case id, name, keypoints }

        public init(from decoder: any Decoder) throws {
            let object = try decoder.container(keyedBy: CodingKeys.self)
            id = try object.decode(Int.self, forKey: .id)
            name = try object.decode(String.self, forKey: .name)
            keypoints = try object.decodeIfPresent([String].self, forKey: .keypoints) ?? []
        }
    }

    public struct Annotation: Decodable, Sendable {
        public let id: Int
        public let imageID: Int
        public let categoryID: Int
        /// `[x1, y1, v1, x2, ...]`; nil when the annotation has none.
        public let keypoints: [Double]?
        public let segmentation: RawSegmentation?
        public let bbox: [Double]?
        public let isCrowd: Bool

        enum CodingKeys: String, CodingKey {
            case id, imageID = "image_id", categoryID = "category_id", keypoints, segmentation, bbox, isCrowd = "iscrowd"
        }

        public init(from decoder: any Decoder) throws {
            let object = try decoder.container(keyedBy: CodingKeys.self)
            id = try object.decode(Int.self, forKey: .id)
            imageID = try object.decode(Int.self, forKey: .imageID)
            categoryID = try object.decode(Int.self, forKey: .categoryID)
            keypoints = try object.decodeIfPresent([Double].self, forKey: .keypoints)
            segmentation = try object.decodeIfPresent(RawSegmentation.self, forKey: .segmentation)
            bbox = try object.decodeIfPresent([Double].self, forKey: .bbox)
            // 0/1 in COCO itself, true/false in some converters' output.
            if let flag = try? object.decodeIfPresent(Bool.self, forKey: .isCrowd) {
                isCrowd = flag
            } else {
                isCrowd = (try object.decodeIfPresent(Int.self, forKey: .isCrowd) ?? 0) != 0
            }
        }
    }

    public let images: [Image]
    public let annotations: [Annotation]
    public let categories: [Category]

    public static func load(path: String) throws(DatasetError) -> COCOKeypointFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        do {
            return try JSONDecoder().decode(COCOKeypointFile.self, from: data)
        } catch let error as DecodingError {
            throw .invalidFile(path: path, reason: DatasetError.describe(error))
        } catch {
            throw .invalidFile(path: path, reason: "\(error)")
        }
    }
}

/// A `segmentation` as written: polygons (an empty list means no mask), or RLE with
/// compressed or run-length counts. Checked by `Segmentation`'s constructors when used.
public enum RawSegmentation: Decodable, Sendable {
    case polygons([[Double]])
    case compressed(size: [Int], counts: String)
    case runs(size: [Int], counts: [Int])

    enum CodingKeys: String, CodingKey { case size, counts }

    public init(from decoder: any Decoder) throws {
        if let polygons = try? decoder.singleValueContainer().decode([[Double]].self) {
            self = .polygons(polygons)
            return
        }
        let object = try decoder.container(keyedBy: CodingKeys.self)
        let size = try object.decode([Int].self, forKey: .size)
        if let text = try? object.decode(String.self, forKey: .counts) {
            self = .compressed(size: size, counts: text)
        } else {
            self = .runs(size: size, counts: try object.decode([Int].self, forKey: .counts))
        }
    }
}
