// What the matcher answers for one pair: every match with its predicted target instance,
// the predicted target instances (COCO RLE, box, score), and, around them, the input
// geometry and stage timings. Encodes as one `pairs[]` entry of misc-predictions/v1.
import Imaging

public struct PredictedMatch: Sendable, Equatable {
    public var sourceInstance: Int
    public var keypoint: Int
    public var x: Double
    public var y: Double
    public var score: Double
    public var targetInstance: Int?
}

public struct PredictedInstance: Sendable, Equatable {
    public var id: Int
    public var score: Double
    public var mask: RLE

    public var bbox: BoundingBox { mask.bbox }
}

public struct PairPrediction: Sendable, Equatable {
    public var matches: [PredictedMatch]
    public var instances: [PredictedInstance]

    public init(matches: [PredictedMatch], instances: [PredictedInstance]) {
        self.matches = matches
        self.instances = instances
    }
}

/// Milliseconds per pipeline stage, in pipeline order.
public struct StageTimings: Sendable, Equatable {
    public private(set) var stages: [(name: String, milliseconds: Double)] = []

    mutating func record(_ name: String, since start: ContinuousClock.Instant) {
        stages.append((name, (ContinuousClock.now - start).milliseconds))
    }

    public var total: Double { stages.reduce(0) { $0 + $1.milliseconds } }

    public static func == (lhs: StageTimings, rhs: StageTimings) -> Bool {
        lhs.stages.map(\.name) == rhs.stages.map(\.name) && lhs.stages.map(\.milliseconds) == rhs.stages.map(\.milliseconds)
    }
}

public struct MatchReport: Sendable {
    public var prediction: PairPrediction
    public var source: InputGeometry
    public var target: InputGeometry
    public var timings: StageTimings
    /// Whether each image's features came from the cache.
    public var sourceCached: Bool
    public var targetCached: Bool
    /// What the matcher left out of the pair's annotations (`PairInput.prepared()`).
    public var warnings: [MatchWarning]
}

extension PredictedMatch: Encodable {
    enum CodingKeys: String, CodingKey {
        case sourceInstance = "source_instance", keypoint, x, y, score, targetInstance = "target_instance"
    }

    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: CodingKeys.self)
        try object.encode(sourceInstance, forKey: .sourceInstance)
        try object.encode(keypoint, forKey: .keypoint)
        try object.encode(Rounding.hundredths(x), forKey: .x)
        try object.encode(Rounding.hundredths(y), forKey: .y)
        try object.encode(Rounding.tenThousandths(score), forKey: .score)
        try object.encodeIfPresent(targetInstance, forKey: .targetInstance)
    }
}

extension PredictedInstance: Encodable {
    enum CodingKeys: String, CodingKey { case id, score, bbox, segmentation }

    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: CodingKeys.self)
        try object.encode(id, forKey: .id)
        try object.encode(Rounding.tenThousandths(score), forKey: .score)
        try object.encode(bbox.array, forKey: .bbox)
        try object.encode(Segmentation.compressed(mask), forKey: .segmentation)
    }
}

/// One `pairs[]` entry of misc-predictions/v1, with the matcher's warnings (a field the
/// evaluator ignores, as it ignores every unknown field).
public struct PredictionEntry: Encodable, Sendable {
    public var pair: String
    public var matches: [PredictedMatch]
    public var instances: [PredictedInstance]
    public var warnings: [MatchWarning]

    public init(pair: String, prediction: PairPrediction, warnings: [MatchWarning]) {
        self.pair = pair
        matches = prediction.matches
        instances = prediction.instances
        self.warnings = warnings
    }

    public init(pair: String, report: MatchReport) {
        self.init(pair: pair, prediction: report.prediction, warnings: report.warnings)
    }
}

/// A whole misc-predictions/v1 document.
public struct PredictionsDocument: Encodable, Sendable {
    public var format = "misc-predictions/v1"
    public var benchmark: String
    public var method: String
    public var pairs: [PredictionEntry]

    public init(benchmark: String, method: String, pairs: [PredictionEntry]) {
        self.benchmark = benchmark
        self.method = method
        self.pairs = pairs
    }
}

/// Coordinates to 0.01 pixel and scores to 1e-4: far below the metric's tolerance, and
/// the answers stay short.
public enum Rounding {
    public static func hundredths(_ value: Double) -> Double { (value * 100).rounded() / 100 }
    public static func tenThousandths(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}

extension Duration {
    /// The duration in milliseconds, the unit of every timing the service reports.
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
