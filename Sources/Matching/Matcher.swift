// The DPCL pipeline as one call: a pair in, one `pairs[]` entry out, with stage timings.
// Synchronous and pure apart from the feature cache; the caller owns concurrency.
import COpenBLAS
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
    public func match(_ pair: PreparedPair, options: MatchOptions = MatchOptions()) throws -> MatchReport {
        let input = pair.input
        let config = try settings(options)
        let patch = model.config.patchSize
        var timings = StageTimings()
        let sourceGeometry = InputGeometry(imageWidth: input.source.width, imageHeight: input.source.height,
                                           longSide: config.longSide, patch: patch)
        let targetGeometry = InputGeometry(imageWidth: input.target.width, imageHeight: input.target.height,
                                           longSide: config.longSide, patch: patch)
        var start = ContinuousClock.now
        let (sourceRaw, sourceCached) = try features(input.source, sourceGeometry, layer: config.layer)
        timings.record("source_features", since: start)
        start = ContinuousClock.now
        let (targetRaw, targetCached) = try features(input.target, targetGeometry, layer: config.layer)
        timings.record("target_features", since: start)

        var (sourceDecoded, targetDecoded) = (sourceRaw, targetRaw)
        if let decoder {
            start = ContinuousClock.now
            (sourceDecoded, targetDecoded) = try Self.decode(sourceRaw, targetRaw, with: decoder)
            timings.record("decoder", since: start)
        }

        // The masks' guide depends on the target image alone: it is prepared on another core
        // while the matches are found.
        let refineRadius = Int((config.segmentation.refineRadius / targetGeometry.sx).rounded())
        let guide = refineRadius > 0
            ? Concurrently { [segmentation = config.segmentation, image = input.target] in
                MaskRefinement(image, radius: refineRadius, epsilon: Float(segmentation.refineEpsilon), colour: segmentation.refineColour)
            }
            : nil

        start = ContinuousClock.now
        let source = sourceDecoded.normalised(), target = targetDecoded.normalised()
        let membership = Foreground.membership(sourceGeometry, instances: input.instances)
        let labels = Foreground.sourceLabels(sourceGeometry, instances: input.instances, membership: membership,
                                             margin: config.foreground.boxMargin)
        let foreground = Foreground.probability(source: source, labels: labels, target: target,
                                                neighbours: config.foreground.neighbours)
        timings.record("foreground", since: start)

        start = ContinuousClock.now
        let groups = Self.groups(input.instances)
        let (costs, queries) = Self.costVolume(groups: groups, instances: input.instances, source: source, target: target,
                                               foreground: foreground, penalty: Float(config.foreground.penalty),
                                               membership: config.sampleInsideInstance ? membership : nil,
                                               prototypes: config.keypointPrototypes)
        timings.record("cost_volume", since: start)

        start = ContinuousClock.now
        let factor = config.heatmap.upsample
        let maps = Self.heatmaps(costs, groups: groups.count, geometry: targetGeometry, config: config.heatmap)
        timings.record("heatmaps", since: start)

        start = ContinuousClock.now
        let radius = Int((config.peaks.nmsRadius * Double(max(targetGeometry.gridHeight, targetGeometry.gridWidth) * factor)).rounded())
        let peaks = maps.map {
            Peaks.find($0, threshold: Float(config.peaks.threshold), radius: radius, limit: config.peaks.maxMatches)
        }
        timings.record("peaks", since: start)

        start = ContinuousClock.now
        var segments = NormalizedCut.segment(target, foreground: foreground, config: config.segmentation,
                                             threshold: Float(config.foreground.threshold))
        if config.segmentation.splitOnRepeatedKeypoints && segments.count > 0 {
            let distinctive = InstanceSplitting.distinctive(queries: queries, groups: groups, channels: source.channels)
            segments = InstanceSplitting.split(segments, peaks: peaks, groups: groups, distinctive: distinctive, features: target,
                                               factor: factor, config: config.segmentation)
        }
        if config.segmentation.partOverlap > 0 && segments.count > 1 {
            segments = PartMerging.merge(segments, peaks: peaks, groups: groups, factor: factor,
                                         maxOverlap: config.segmentation.partOverlap, gridWidth: targetGeometry.gridWidth,
                                         reach: config.segmentation.neighbourhood)
        }
        timings.record("segmentation", since: start)

        start = ContinuousClock.now
        let closedLoop = config.closedLoop.enabled
            ? ClosedLoop(source: source, target: target, radius: config.closedLoop.radius) : nil
        let matches = findMatches(groups: groups, maps: maps, peaks: peaks, radius: radius, instances: input.instances,
                                  segments: segments, closedLoop: closedLoop, geometry: targetGeometry, config: config)
        timings.record("matches", since: start)

        start = ContinuousClock.now
        let refinement = segments.count > 0 ? guide?.value : nil
        let instances = try Grouping.instances(labels: segments.labels, count: segments.count, foreground: foreground,
                                               geometry: targetGeometry, refinement: refinement)
        timings.record("grouping", since: start)
        return MatchReport(prediction: PairPrediction(matches: matches, instances: instances),
                           source: sourceGeometry, target: targetGeometry, timings: timings,
                           sourceCached: sourceCached, targetCached: targetCached, warnings: pair.warnings)
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

    /// Per group, the target patches' cosine with the source feature at the keypoint, less
    /// the background penalty: [groups, target patches].
    /// With `membership`, a keypoint's feature blends only the patches inside its own
    /// instance, so that a keypoint on the outline does not carry the background; with
    /// `prototypes`, every group of a keypoint queries that keypoint's mean feature.
    static func costVolume(groups: [Group], instances: [SourceInstance], source: FeatureMap, target: FeatureMap,
                           foreground: [Float], penalty: Float, membership: [[Bool]]?,
                           prototypes: Bool) -> (costs: [Float], queries: [Float]) {
        let c = source.channels, patches = target.geometry.patches
        var queries = [Float](repeating: 0, count: groups.count * c)
        for (row, group) in groups.enumerated() {
            let point = instances[group.instance].keypoints[group.keypoint]
            let vector = source.sample(gridX: point.x * source.geometry.sx - 0.5, gridY: point.y * source.geometry.sy - 0.5,
                                       inside: membership?[group.instance])
            for j in 0..<c { queries[row * c + j] = vector[j] }
        }
        if prototypes { queries = Self.prototypes(queries, groups: groups, channels: c) }
        var costs = [Float](repeating: 0, count: groups.count * patches)
        guard !groups.isEmpty else { return (costs, queries) }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(groups.count), Int32(patches), Int32(c), 1,
                    queries, Int32(c), target.values, Int32(c), 0, &costs, Int32(patches))
        for row in 0..<groups.count {
            for patch in 0..<patches { costs[row * patches + patch] -= penalty * (1 - foreground[patch]) }
        }
        return (costs, queries)
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
