// Reads a misc-pairs/v1 document off the token stream (members in any order), checks it,
// and resolves it into a Benchmark. Ground truth is held in memory; it is a fraction of a
// submission's size.

public enum GroundTruthReader {
    public static let format = "misc-pairs/v1"

    /// Reads the benchmark at `path` (`.json` or gzip-compressed).
    public static func read(path: String) throws -> Benchmark {
        let source: ByteSource
        do {
            source = try openByteSource(path: path)
        } catch let error as ByteSourceError {
            throw InputError(.groundTruth, JSONPath(), .unreadable(error.description))
        }
        return try read(source: source)
    }

    public static func read(source: ByteSource) throws -> Benchmark {
        let cursor = DocumentCursor(reader: JSONReader(source: source), role: .groundTruth)
        var raw = RawBenchmark()
        try cursor.located(JSONPath()) {
            try cursor.enterObject(JSONPath())
            let reader = cursor.reader
            try cursor.forEachMember {
                if reader.stringIs("format") {
                    raw.format = try cursor.string(JSONPath([.key("format")]))
                } else if reader.stringIs("name") {
                    raw.name = try cursor.string(JSONPath([.key("name")]))
                } else if reader.stringIs("categories") {
                    try readCategories(cursor, into: &raw)
                } else if reader.stringIs("images") {
                    try readImages(cursor, into: &raw)
                } else if reader.stringIs("instances") {
                    try readInstances(cursor, into: &raw)
                } else if reader.stringIs("pairs") {
                    try readPairs(cursor, into: &raw)
                } else {
                    try reader.skipValue()
                }
            }
            try cursor.reader.finish()
        }
        return try raw.resolve()
    }

    private static func readCategories(_ cursor: DocumentCursor, into raw: inout RawBenchmark) throws {
        try cursor.forEachObject(in: JSONPath([.key("categories")])) { path in
            var name: String?
            var keypoints: [String]?
            try cursor.forEachMember {
                if cursor.reader.stringIs("name") {
                    name = try cursor.string(path.appending(.key("name")))
                } else if cursor.reader.stringIs("keypoints") {
                    let listPath = path.appending(.key("keypoints"))
                    try cursor.enterArray(listPath)
                    var list: [String] = []
                    var firstName = true
                    while try cursor.reader.nextElement(&firstName) {
                        list.append(try cursor.string(listPath.appending(.index(list.count))))
                    }
                    keypoints = list
                } else {
                    try cursor.reader.skipValue()
                }
            }
            guard let name else { throw cursor.fail(path, .missingField("name")) }
            guard let keypoints else { throw cursor.fail(path, .missingField("keypoints")) }
            raw.categories.append(Benchmark.Category(name: name, keypoints: keypoints))
        }
    }

    private static func readImages(_ cursor: DocumentCursor, into raw: inout RawBenchmark) throws {
        try cursor.forEachObject(in: JSONPath([.key("images")])) { path in
            var id: String?
            var width: Double?
            var height: Double?
            try cursor.forEachMember {
                if cursor.reader.stringIs("id") {
                    id = try cursor.identifier(path.appending(.key("id")))
                } else if cursor.reader.stringIs("width") {
                    width = try positive(cursor, path.appending(.key("width")))
                } else if cursor.reader.stringIs("height") {
                    height = try positive(cursor, path.appending(.key("height")))
                } else {
                    try cursor.reader.skipValue()
                }
            }
            guard let id else { throw cursor.fail(path, .missingField("id")) }
            guard let width else { throw cursor.fail(path, .missingField("width")) }
            guard let height else { throw cursor.fail(path, .missingField("height")) }
            raw.images.append(Benchmark.Image(id: id, width: width, height: height))
        }
    }

    /// An image side: a whole number of pixels, 1 to 2^24.
    private static func positive(_ cursor: DocumentCursor, _ path: JSONPath) throws -> Double {
        let value = try cursor.integer(path)
        guard value > 0 && value <= 1 << 24 else { throw cursor.fail(path, .invalidValue("must be a pixel count from 1 to 16777216")) }
        return Double(value)
    }

    private static func readInstances(_ cursor: DocumentCursor, into raw: inout RawBenchmark) throws {
        let reader = cursor.reader
        try cursor.forEachObject(in: JSONPath([.key("instances")])) { path in
            var instance = RawInstance()
            try cursor.forEachMember {
                if reader.stringIs("id") {
                    instance.id = try cursor.integer(path.appending(.key("id")))
                } else if reader.stringIs("image") {
                    instance.image = try cursor.identifier(path.appending(.key("image")))
                } else if reader.stringIs("category") {
                    instance.category = try cursor.string(path.appending(.key("category")))
                } else if reader.stringIs("keypoints") {
                    try readKeypoints(cursor, path.appending(.key("keypoints")), into: &instance)
                } else if reader.stringIs("segmentation") {
                    if try !reader.readNull() {
                        instance.mask = try cursor.segmentation(path.appending(.key("segmentation")))
                    }
                } else {
                    try reader.skipValue()
                }
            }
            raw.instances.append(instance)
        }
    }

    /// `[[x, y, v], ...]`; x and y may be anything (null included) where v = 0.
    private static func readKeypoints(_ cursor: DocumentCursor, _ path: JSONPath, into instance: inout RawInstance) throws {
        try cursor.enterArray(path)
        var xs: [Double] = []
        var ys: [Double] = []
        var labelled: [Bool] = []
        var first = true
        while try cursor.reader.nextElement(&first) {
            let index = xs.count
            // Built only for an error message.
            func pointPath() -> JSONPath { path.appending(.index(index)) }
            try cursor.enterArray(pointPath())
            // [x, y, v] without an array per point: three slots and a count.
            var values: (Double?, Double?, Double?) = (nil, nil, nil)
            var count = 0
            var firstValue = true
            while try cursor.reader.nextElement(&firstValue) {
                var value: Double?
                if let number = try cursor.reader.readNumber(), number.isFinite {
                    value = number
                } else {
                    try cursor.reader.skipValue()
                }
                switch count {
                case 0: values.0 = value
                case 1: values.1 = value
                case 2: values.2 = value
                default: break
                }
                count += 1
            }
            guard count == 3 else { throw cursor.fail(pointPath(), .invalidValue("a keypoint is [x, y, v], found \(count) values")) }
            guard let visibility = values.2 else { throw cursor.fail(pointPath().appending(.index(2)), .notFiniteNumber) }
            let isLabelled = visibility > 0
            if isLabelled {
                guard values.0 != nil else { throw cursor.fail(pointPath().appending(.index(0)), .notFiniteNumber) }
                guard values.1 != nil else { throw cursor.fail(pointPath().appending(.index(1)), .notFiniteNumber) }
            }
            xs.append(values.0 ?? 0)
            ys.append(values.1 ?? 0)
            labelled.append(isLabelled)
        }
        instance.keypointX = xs
        instance.keypointY = ys
        instance.labelled = labelled
    }

    private static func readPairs(_ cursor: DocumentCursor, into raw: inout RawBenchmark) throws {
        let reader = cursor.reader
        try cursor.forEachObject(in: JSONPath([.key("pairs")])) { path in
            var pair = RawPair()
            try cursor.forEachMember {
                if reader.stringIs("id") {
                    pair.id = try cursor.identifier(path.appending(.key("id")))
                } else if reader.stringIs("category") {
                    pair.category = try cursor.string(path.appending(.key("category")))
                } else if reader.stringIs("source") {
                    pair.source = try cursor.identifier(path.appending(.key("source")))
                } else if reader.stringIs("target") {
                    pair.target = try cursor.identifier(path.appending(.key("target")))
                } else {
                    try reader.skipValue()
                }
            }
            raw.pairs.append(pair)
        }
    }
}
