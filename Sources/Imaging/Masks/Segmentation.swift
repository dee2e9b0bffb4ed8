// The three JSON shapes of a `segmentation` field (compressed RLE, uncompressed RLE,
// polygons), checked while decoding so a bad mask is reported at its JSON path.

/// A COCO `segmentation` value:
/// - `{"size": [h, w], "counts": "compressed string"}`
/// - `{"size": [h, w], "counts": [run, run, ...]}`
/// - `[[x1, y1, x2, y2, ...], ...]` polygons, which take their size from the image.
public enum Segmentation: Sendable, Hashable {
    case compressed(RLE)
    case uncompressed(RLE)
    case polygons([[Double]])

    /// The size the value declares; polygons declare none.
    public var declaredSize: MaskSize? {
        switch self {
        case let .compressed(rle), let .uncompressed(rle): rle.size
        case .polygons: nil
        }
    }

    /// The mask on an image of `height` x `width`: an RLE must declare that size, polygons
    /// are rasterised to it.
    public func rle(height: Int, width: Int) throws(MaskError) -> RLE {
        switch self {
        case let .compressed(rle), let .uncompressed(rle):
            let expected = MaskSize(height: height, width: width)
            guard rle.size == expected else { throw .sizeMismatch(expected: expected, found: rle.size) }
            return rle
        case let .polygons(polygons):
            return try RLE(polygons: polygons, height: height, width: width)
        }
    }
}

extension Segmentation: Codable {
    private enum Keys: String, CodingKey { case size, counts }

    public init(from decoder: any Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var polygons = [[Double]]()
            while !list.isAtEnd { polygons.append(try list.decode([Double].self)) }
            guard !polygons.isEmpty else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "polygon list is empty"))
            }
            for (index, polygon) in polygons.enumerated() {
                do throws(MaskError) {
                    try RLE.validate(polygon, index: index)
                } catch {
                    throw DecodingError.dataCorrupted(.init(
                        codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
                }
            }
            self = .polygons(polygons)
            return
        }
        let object = try decoder.container(keyedBy: Keys.self)
        let size = try object.decode([Int].self, forKey: .size)
        guard size.count == 2 else {
            throw DecodingError.dataCorruptedError(
                forKey: .size, in: object, debugDescription: "size must be [height, width], found \(size.count) values")
        }
        let decoded: Result<Segmentation, MaskError>
        if let text = try? object.decode(String.self, forKey: .counts) {
            decoded = Result { () throws(MaskError) in
                .compressed(try RLE(compressed: text, height: size[0], width: size[1]))
            }
        } else if let runs = try? object.decode([Int].self, forKey: .counts) {
            decoded = Result { () throws(MaskError) in
                .uncompressed(try RLE(counts: runs, height: size[0], width: size[1]))
            }
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .counts, in: object, debugDescription: "counts must be a string or a list of integers")
        }
        switch decoded {
        case let .success(value): self = value
        case let .failure(error):
            throw DecodingError.dataCorruptedError(forKey: .counts, in: object, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case let .compressed(rle):
            var object = encoder.container(keyedBy: Keys.self)
            try object.encode([rle.height, rle.width], forKey: .size)
            try object.encode(rle.compressed, forKey: .counts)
        case let .uncompressed(rle):
            var object = encoder.container(keyedBy: Keys.self)
            try object.encode([rle.height, rle.width], forKey: .size)
            try object.encode(rle.counts, forKey: .counts)
        case let .polygons(polygons):
            var list = encoder.unkeyedContainer()
            for polygon in polygons { try list.encode(polygon) }
        }
    }
}
