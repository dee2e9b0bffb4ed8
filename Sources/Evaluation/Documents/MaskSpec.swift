// A segmentation as written in either document (COCO RLE, compressed or not, or polygons),
// read off the token stream; turning it into a mask is the imaging module's job.

public enum MaskSpec: Sendable, Equatable {
    /// COCO RLE with the compressed-string `counts`; `height`, `width` from `size`.
    case compressedRLE(height: Int, width: Int, counts: String)
    /// COCO RLE with integer `counts` (column-major run lengths, starting with background).
    case uncompressedRLE(height: Int, width: Int, counts: [Int])
    /// COCO polygons: `[[x1, y1, x2, y2, ...], ...]`, in pixels of the image they belong to.
    case polygons([[Double]])

    /// `[height, width]` for RLE; nil for polygons, which carry no size.
    public var size: [Int]? {
        switch self {
        case .compressedRLE(let height, let width, _), .uncompressedRLE(let height, let width, _):
            return [height, width]
        case .polygons:
            return nil
        }
    }
}

extension DocumentCursor {
    /// Reads a `segmentation` value at `path`.
    func maskSpec(_ path: JSONPath) throws -> MaskSpec {
        switch try reader.peekKind() {
        case .array:
            return try polygons(path)
        case .object:
            return try rle(path)
        case let kind:
            throw fail(path, .wrongType(expected: "an RLE object or a polygon list", found: kind))
        }
    }

    private func polygons(_ path: JSONPath) throws -> MaskSpec {
        try enterArray(path)
        var polygons: [[Double]] = []
        var first = true
        while try reader.nextElement(&first) {
            let polygonPath = path.appending(.index(polygons.count))
            try enterArray(polygonPath)
            var points: [Double] = []
            var firstPoint = true
            while try reader.nextElement(&firstPoint) {
                points.append(try finite(polygonPath.appending(.index(points.count))))
            }
            guard points.count >= 6, points.count % 2 == 0 else {
                throw fail(polygonPath, .invalidMask("a polygon needs an even number of coordinates, at least 6 (found \(points.count))"))
            }
            polygons.append(points)
        }
        return .polygons(polygons)
    }

    private func rle(_ path: JSONPath) throws -> MaskSpec {
        try enterObject(path)
        var size: [Int]?
        var compressed: String?
        var counts: [Int]?
        var first = true
        while try reader.nextMember(&first) {
            if reader.stringIs("size") {
                let sizePath = path.appending(.key("size"))
                try enterArray(sizePath)
                var values: [Int] = []
                var firstValue = true
                while try reader.nextElement(&firstValue) {
                    let value = try integer(sizePath.appending(.index(values.count)))
                    guard value >= 0 else { throw fail(sizePath.appending(.index(values.count)), .invalidMask("a negative size")) }
                    values.append(value)
                }
                guard values.count == 2 else { throw fail(sizePath, .invalidMask("size must be [height, width]")) }
                size = values
            } else if reader.stringIs("counts") {
                let countsPath = path.appending(.key("counts"))
                switch try reader.peekKind() {
                case .string:
                    compressed = try string(countsPath)
                case .array:
                    try enterArray(countsPath)
                    var values: [Int] = []
                    var firstValue = true
                    while try reader.nextElement(&firstValue) {
                        let value = try integer(countsPath.appending(.index(values.count)))
                        guard value >= 0 else { throw fail(countsPath.appending(.index(values.count)), .invalidMask("a negative run length")) }
                        values.append(value)
                    }
                    counts = values
                case let kind:
                    throw fail(countsPath, .wrongType(expected: "a string or an array of run lengths", found: kind))
                }
            } else {
                try reader.skipValue()
            }
        }
        guard let size else { throw fail(path, .missingField("size")) }
        if let compressed { return .compressedRLE(height: size[0], width: size[1], counts: compressed) }
        if let counts { return .uncompressedRLE(height: size[0], width: size[1], counts: counts) }
        throw fail(path, .missingField("counts"))
    }
}
