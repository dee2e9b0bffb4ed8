// The DPCL pipeline as one call: a pair in, one `pairs[]` entry out, with stage timings.
// Synchronous and pure apart from the feature cache; the caller owns concurrency.
import Imaging
import Tensor

public final class Matcher: Sendable {
    public let model: DINOv2
    /// DPCL's decoder blocks when the model config names trained weights; the zero-shot
    /// default has none (identity).
    public let decoder: TransformerDecoder?
    public let config: MatcherConfig
    public let cache: FeatureCache
    /// The name the answers carry (the model config's `name`).
    public let name: String
    /// Largest `size` option accepted.
    public static let maxInputSide = 1792

    public init(model: DINOv2, decoder: TransformerDecoder? = nil, config: MatcherConfig, name: String) throws(MatcherConfigError) {
        if let problem = config.problem(patchSize: model.config.patchSize) {
            throw .invalid(path: name, problem: problem)
        }
        guard config.layer < model.config.numHiddenLayers else {
            throw .invalid(path: name, problem: "layer \(config.layer) does not exist: the backbone has blocks 0...\(model.config.numHiddenLayers - 1)")
        }
        self.model = model
        self.decoder = decoder
        self.config = config
        self.name = name
        cache = FeatureCache(capacityBytes: config.featureCacheMB << 20)
    }

    /// The settings one request runs with.
    public func settings(_ options: MatchOptions) throws(MatchInputError) -> MatcherConfig {
        try options.applied(to: config, patchSize: model.config.patchSize, depth: model.config.numHiddenLayers,
                            maxSide: Self.maxInputSide)
    }

    public func match(_ input: PairInput, options: MatchOptions = MatchOptions()) throws -> MatchReport {
        try match(try input.prepared(), options: options)
    }

    /// A pair already checked by `PairInput.prepared()`: its warnings come with the report.
    /// A pair is a reference set of one image, so both run one pipeline
    /// (`match(references:target:)`).
    public func match(_ pair: PreparedPair, options: MatchOptions = MatchOptions()) throws -> MatchReport {
        let source = ReferenceImage(image: pair.input.source, instances: pair.input.instances)
        let references = PreparedReferences(set: ReferenceSet(category: "", keypoints: [], images: [source]), warnings: pair.warnings)
        let report = try match(references: references, target: pair.input.target, options: options)
        return MatchReport(prediction: report.prediction, source: report.references[0], target: report.target,
                           timings: report.timings, sourceCached: report.referencesCached == 1,
                           targetCached: report.targetCached, warnings: report.warnings)
    }

    /// Backbone features through the cache.
    func features(_ image: RGBImage, _ geometry: InputGeometry, layer: Int) throws -> (FeatureMap, Bool) {
        let key = FeatureCache.key(image, geometry: geometry, layer: layer)
        if let cached = cache.lookup(key) { return (cached, true) }
        let features = try Features.extract(image, geometry: geometry, layer: layer, model: model)
        cache.insert(features, for: key)
        return (features, false)
    }

    /// Both images' features through the decoder, jointly (each attends to the other).
    static func decode(_ source: FeatureMap, _ target: FeatureMap, with decoder: TransformerDecoder) throws -> (FeatureMap, FeatureMap) {
        let c = source.channels
        let decoded = try decoder.forward(source: try Tensor(shape: [source.geometry.patches, c], storage: source.values),
                                          target: try Tensor(shape: [target.geometry.patches, c], storage: target.values))
        return (FeatureMap(geometry: source.geometry, channels: c, values: decoded.source.storage),
                FeatureMap(geometry: target.geometry, channels: c, values: decoded.target.storage))
    }

    /// (instance index, keypoint) for every labelled keypoint, in input order.
    struct Group {
        let instance: Int
        let keypoint: Int
    }

    static func groups(_ instances: [SourceInstance]) -> [Group] {
        var groups: [Group] = []
        for (index, instance) in instances.enumerated() {
            for (keypoint, point) in instance.keypoints.enumerated() where point.isLabelled {
                groups.append(Group(instance: index, keypoint: keypoint))
            }
        }
        return groups
    }

    /// Each keypoint's features over the source instances that label it, averaged and
    /// re-normalised: the target's truth for a keypoint is the same whichever source
    /// instance asks, and the mean of several examples describes the keypoint better than
    /// any one of them (its pose, occlusion and lighting average out).
    static func prototypes(_ queries: [Float], groups: [Group], channels c: Int) -> [Float] {
        var sums: [Int: [Float]] = [:]
        for (row, group) in groups.enumerated() {
            var sum = sums[group.keypoint] ?? [Float](repeating: 0, count: c)
            for j in 0..<c { sum[j] += queries[row * c + j] }
            sums[group.keypoint] = sum
        }
        var result = queries
        for (row, group) in groups.enumerated() {
            let sum = sums[group.keypoint]!
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let inverse = norm > 0 ? 1 / norm : 0
            for j in 0..<c { result[row * c + j] = sum[j] * inverse }
        }
        return result
    }

    /// The sigmoid's value at the best cell of every heatmap.
    static func maxHeat(_ config: MatcherConfig.Heatmap) -> Float {
        1 / (1 + (-Float(config.offset / config.temperature)).exp())
    }

    /// Every group's heatmap on the upsampled target grid.
    static func heatmaps(_ costs: [Float], groups: Int, geometry g: InputGeometry, config: MatcherConfig.Heatmap) -> [Heatmap] {
        let rowsAxis = UpsampleAxis(cells: g.gridHeight, factor: config.upsample)
        let columnsAxis = UpsampleAxis(cells: g.gridWidth, factor: config.upsample)
        return costs.withUnsafeBufferPointer { buffer in
            (0..<groups).map { row in
                Heatmap(grid: buffer.baseAddress! + row * g.patches, gridWidth: g.gridWidth,
                        rowsAxis: rowsAxis, columnsAxis: columnsAxis,
                        offset: Float(config.offset), temperature: Float(config.temperature))
            }
        }
    }

    /// Every group's peaks, plus one extra match per supporting segment where the source
    /// holds several instances; refined, labelled, and (with the closed loop) checked, a
    /// group's strongest peak always kept.
    func findMatches(groups: [Group], maps: [Heatmap], peaks basePeaks: [[Peak]], radius: Int,
                             instances: [SourceInstance], segments: NormalizedCut.Result, closedLoop: ClosedLoop?,
                             geometry g: InputGeometry, config: MatcherConfig) -> [PredictedMatch] {
        let factor = config.heatmap.upsample
        let extraThreshold = Float(config.extras.relativeThreshold) * Self.maxHeat(config.heatmap)
        let useExtras = config.extras.enabled && segments.count > 1 && instances.count >= config.extras.minSourceInstances
        let support = useExtras
            ? SegmentSupport(maps: maps, groups: groups, instanceCount: instances.count, segments: segments,
                             gridWidth: g.gridWidth, factor: factor, threshold: extraThreshold)
            : nil

        var matches: [PredictedMatch] = []
        for (row, group) in groups.enumerated() {
            let map = maps[row]
            var peaks = basePeaks[row]
            if let support {
                let extras = support.best[row].enumerated()
                    .filter { label, candidate in
                        candidate.cell >= 0 && candidate.heat >= extraThreshold
                            && support.share[group.instance][label] >= config.extras.support
                    }
                    .map { Peak(row: $0.1.cell / map.columns, column: $0.1.cell % map.columns, heat: $0.1.heat) }
                    .sorted { $0.heat > $1.heat }
                for extra in extras where peaks.count < config.peaks.maxMatches {
                    if peaks.allSatisfy({ Peaks.chebyshev($0, extra) > radius }) { peaks.append(extra) }
                }
            }
            for (index, peak) in peaks.enumerated() {
                let point = Refinement.locate(peak, in: map, window: config.refinement.window,
                                              temperature: Float(config.refinement.temperature), factor: factor, geometry: g)
                if index > 0, let closedLoop,
                   !closedLoop.returns(from: point, to: instances[group.instance].keypoints[group.keypoint]) {
                    continue
                }
                let label = Grouping.segment(atPatch: peak.patch(factor: factor, gridWidth: g.gridWidth),
                                             labels: segments.labels, gridWidth: g.gridWidth)
                matches.append(PredictedMatch(
                    sourceInstance: instances[group.instance].id, keypoint: group.keypoint, x: point.x, y: point.y,
                    score: Double(peak.heat), targetInstance: label.map { $0 + 1 }))
            }
        }
        return matches
    }
}

extension Matcher {
    /// The time of one backbone forward of `image` at the configured input size, in ms
    /// (no cache): the unit the service's latency is measured in.
    public func forwardMilliseconds(_ image: RGBImage) throws -> Double {
        let geometry = InputGeometry(imageWidth: image.width, imageHeight: image.height, longSide: config.longSide,
                                     patch: model.config.patchSize)
        let start = ContinuousClock.now
        _ = try Features.extract(image, geometry: geometry, layer: config.layer, model: model)
        return (ContinuousClock.now - start).milliseconds
    }
}
