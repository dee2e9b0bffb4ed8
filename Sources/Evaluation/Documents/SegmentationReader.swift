// Reads a `segmentation` value (COCO RLE with compressed or integer counts, or polygons)
// off the token stream into the imaging module's Segmentation, and checks it against its
// image, so that a bad mask is reported at its JSON path.
import Imaging

extension DocumentCursor {
    /// Reads a `segmentation` value at `path`.
    func segmentation(_ path: JSONPath) throws -> Segmentation {
        switch try reader.peekKind() {
        case .array:
            return try polygons(path)
        case .object:
            return try rle(path)
        case let kind:
            throw fail(path, .wrongType(expected: "an RLE object or a polygon list", found: kind))
        }
    }

    private func polygons(_ path: JSONPath) throws -> Segmentation {
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
        guard !polygons.isEmpty else { throw fail(path, .invalidMask("an empty polygon list")) }
        return .polygons(polygons)
    }

    private func rle(_ path: JSONPath) throws -> Segmentation {
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
                    values.append(try integer(sizePath.appending(.index(values.count))))
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
                        values.append(try integer(countsPath.appending(.index(values.count))))
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
        do throws(MaskError) {
            if let compressed { return .compressed(try RLE(compressed: compressed, height: size[0], width: size[1])) }
            if let counts { return .uncompressed(try RLE(counts: counts, height: size[0], width: size[1])) }
        } catch {
            throw fail(path, .invalidMask(error.description))
        }
        throw fail(path, .missingField("counts"))
    }
}

extension Segmentation {
    /// The mask as runs at its image's `[height, width]`: a declared size that differs, or a
    /// mask that cannot be decoded or rasterised, is an error at `path` of `role`'s document.
    func rle(imageSize: [Int], role: DocumentRole, at path: JSONPath) throws -> RLE {
        if let declared = declaredSize, [declared.height, declared.width] != imageSize {
            throw InputError(role, path.appending(.key("size")),
                             .maskSizeMismatch(found: [declared.height, declared.width], expected: imageSize))
        }
        do throws(MaskError) {
            return try rle(height: imageSize[0], width: imageSize[1])
        } catch {
            throw InputError(role, path, .invalidMask(error.description))
        }
    }
}
