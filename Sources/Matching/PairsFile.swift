// A benchmark split (misc-pairs/v1) read for matching: its pairs, images and the source
// instances of each pair. Target instances are never read into a match: a split whose
// target annotations are removed gives the same predictions.
import Foundation
import Imaging

public struct PairsFile: Decodable, Sendable {
    public struct Category: Decodable, Sendable {
        public var name: String
        public var keypoints: [String]
    }

    public struct Image: Decodable, Sendable {
        public var id: String
        public var file: String
        public var width: Int
        public var height: Int
    }

    public struct Instance: Decodable, Sendable {
        public var id: Int
        public var image: String
        public var category: String
        public var bbox: [Double]?
        public var segmentation: Segmentation?
        public var keypoints: [[Double]]
    }

    public struct Pair: Decodable, Sendable {
        public var id: String
        public var category: String
        public var source: String
        public var target: String
    }

    public var format: String
    public var name: String
    public var categories: [Category]
    public var images: [Image]
    public var instances: [Instance]?
    public var pairs: [Pair]
    /// Lookups built once when decoded, so that a split of 200,000 pairs is not scanned per pair.
    private let imageIndex: [String: Int]
    private let instancesByImage: [String: [Int]]

    enum CodingKeys: String, CodingKey { case format, name, categories, images, instances, pairs }

    public init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: CodingKeys.self)
        format = try object.decode(String.self, forKey: .format)
        name = try object.decode(String.self, forKey: .name)
        categories = try object.decode([Category].self, forKey: .categories)
        images = try object.decode([Image].self, forKey: .images)
        instances = try object.decodeIfPresent([Instance].self, forKey: .instances)
        pairs = try object.decode([Pair].self, forKey: .pairs)
        var imageIndex: [String: Int] = [:]
        for (index, image) in images.enumerated() where imageIndex[image.id] == nil { imageIndex[image.id] = index }
        var instancesByImage: [String: [Int]] = [:]
        for (index, instance) in (instances ?? []).enumerated() { instancesByImage[instance.image, default: []].append(index) }
        self.imageIndex = imageIndex
        self.instancesByImage = instancesByImage
    }

    public static func load(path: String) throws -> PairsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PairsFileError.unreadable(path: path)
        }
        let file: PairsFile
        do {
            file = try JSONDecoder().decode(PairsFile.self, from: data)
        } catch let error as DecodingError {
            throw PairsFileError.invalid(path: path, reason: ConfigDecoding.describe(error))
        }
        guard file.format == "misc-pairs/v1" else {
            throw PairsFileError.invalid(path: path, reason: "format is \(file.format), expected misc-pairs/v1")
        }
        return file
    }

    public func image(_ id: String) throws -> Image {
        guard let index = imageIndex[id] else { throw PairsFileError.unknownImage(id) }
        return images[index]
    }

    /// The pair's source annotations: every instance of the category in the source image.
    public func sourceAnnotations(for pair: Pair) throws -> SourceAnnotations {
        guard let category = categories.first(where: { $0.name == pair.category }) else {
            throw PairsFileError.unknownCategory(pair.category, pair: pair.id)
        }
        let all = self.instances ?? []
        let instances = (instancesByImage[pair.source] ?? []).map { all[$0] }.filter { $0.category == pair.category }
        return SourceAnnotations(
            category: category.name, keypoints: category.keypoints,
            instances: instances.map { .init(id: $0.id, keypoints: $0.keypoints, segmentation: $0.segmentation, bbox: $0.bbox) })
    }
}

public enum PairsFileError: Error, CustomStringConvertible {
    case unreadable(path: String)
    case invalid(path: String, reason: String)
    case unknownImage(String)
    case unknownCategory(String, pair: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read \(path)"
        case .invalid(let path, let reason): "\(path) is not a valid misc-pairs/v1 document: \(reason)"
        case .unknownImage(let id): "image \(id) is not listed in images"
        case .unknownCategory(let name, let pair): "pair \(pair) names category \(name), which categories do not list"
        }
    }
}
