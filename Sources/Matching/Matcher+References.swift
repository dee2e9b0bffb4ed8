// The pipeline, from one or several labelled reference images (a pair is a set of one):
// every reference instance's keypoints query the keypoint's prototype over all instances
// of all images, and the foreground prior learns from the references the config names.
import COpenBLAS
import Imaging
import Tensor

/// What the matcher answers for a target matched from a reference set.
public struct ReferenceReport: Sendable {
    public var prediction: PairPrediction
    public var references: [InputGeometry]
    public var target: InputGeometry
    public var timings: StageTimings
    /// How many reference images' features came from the cache.
    public var referencesCached: Int
    public var targetCached: Bool
    /// The reference image the foreground learnt from (its index), when only one did.
    public var foregroundReference: Int?
    public var warnings: [MatchWarning]
}

extension Matcher {
    public func match(references: PreparedReferences, target image: RGBImage,
                      options: MatchOptions = MatchOptions()) throws -> ReferenceReport {
        let set = references.set
        var config = try settings(options)
        if set.images.count > 1 {
            // The decoder and the closed loop pair one source image with the target.
            guard decoder == nil else {
                throw MatchInputError.option(name: "references", problem: "must be one image with a model that has a decoder")
            }
            guard !config.closedLoop.enabled else {
                throw MatchInputError.option(name: "closed_loop", problem: "applies to one reference image, not \(set.images.count)")
            }
        }
        // The extras' gate asks whether the category comes in crowds: any reference image
        // holding enough instances says so.
        if set.images.allSatisfy({ $0.instances.count < config.extras.minSourceInstances }) {
            config.extras.enabled = false
        } else {
            config.extras.minSourceInstances = 0
        }
        let patch = model.config.patchSize
        var timings = StageTimings()
        let geometries = set.images.map {
            InputGeometry(imageWidth: $0.image.width, imageHeight: $0.image.height, longSide: config.longSide, patch: patch)
        }
        let targetGeometry = InputGeometry(imageWidth: image.width, imageHeight: image.height, longSide: config.longSide, patch: patch)
        var start = ContinuousClock.now
        var referenceFeatures: [FeatureMap] = []
        var cachedCount = 0
        for (reference, geometry) in zip(set.images, geometries) {
            let (map, cached) = try features(reference.image, geometry, layer: config.layer)
            referenceFeatures.append(map)
            if cached { cachedCount += 1 }
        }
        timings.record("source_features", since: start)
        start = ContinuousClock.now
        var (targetRaw, targetCached) = try features(image, targetGeometry, layer: config.layer)
        timings.record("target_features", since: start)
        if let decoder {
            start = ContinuousClock.now
            (referenceFeatures[0], targetRaw) = try Self.decode(referenceFeatures[0], targetRaw, with: decoder)
            timings.record("decoder", since: start)
        }

        let refineRadius = Int((config.segmentation.refineRadius / targetGeometry.sx).rounded())
        let guide = refineRadius > 0
            ? Concurrently { [segmentation = config.segmentation] in
                MaskRefinement(image, radius: refineRadius, epsilon: Float(segmentation.refineEpsilon), colour: segmentation.refineColour)
            }
            : nil

        // The instances of all images as one list; groups index into it.
        let instances = set.images.flatMap(\.instances)
        let imageOf = set.images.enumerated().flatMap { index, reference in Array(repeating: index, count: reference.instances.count) }
        let groups = Self.groups(instances)
        start = ContinuousClock.now
        let sources = referenceFeatures.map { $0.normalised() }, target = targetRaw.normalised()
        let memberships = zip(geometries, set.images).map { Foreground.membership($0, instances: $1.instances) }
        var queries = Self.referenceQueries(groups: groups, instances: instances, imageOf: imageOf, sources: sources,
                                            memberships: config.sampleInsideInstance ? memberships : nil)
        let labels = zip(geometries, set.images).enumerated().map { index, pair in
            Foreground.sourceLabels(pair.0, instances: pair.1.instances, membership: memberships[index],
                                    margin: config.foreground.boxMargin)
        }
        var chosen: Int?
        var pooled = Array(zip(sources, labels))
        if config.references.foreground == .best && set.images.count > 1 {
            let best = Self.bestReference(queries: queries, groups: groups, imageOf: imageOf, images: set.images.count, target: target)
            chosen = best
            pooled = [pooled[best]]
        }
        let foreground = Foreground.probability(sources: pooled, target: target, neighbours: config.foreground.neighbours)
        timings.record("foreground", since: start)

        start = ContinuousClock.now
        if config.keypointPrototypes { queries = Self.prototypes(queries, groups: groups, channels: target.channels) }
        let costs = Self.costs(queries: queries, rows: groups.count, target: target, foreground: foreground,
                               penalty: Float(config.foreground.penalty))
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
            let distinctive = InstanceSplitting.distinctive(queries: queries, groups: groups, channels: target.channels)
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
            ? ClosedLoop(source: sources[0], target: target, radius: config.closedLoop.radius) : nil
        let matches = findMatches(groups: groups, maps: maps, peaks: peaks, radius: radius, instances: instances,
                                  segments: segments, closedLoop: closedLoop, geometry: targetGeometry, config: config)
        timings.record("matches", since: start)

        start = ContinuousClock.now
        let refinement = segments.count > 0 ? guide?.value : nil
        let predicted = try Grouping.instances(labels: segments.labels, count: segments.count, foreground: foreground,
                                               geometry: targetGeometry, refinement: refinement)
        timings.record("grouping", since: start)
        return ReferenceReport(prediction: PairPrediction(matches: matches, instances: predicted), references: geometries,
                               target: targetGeometry, timings: timings, referencesCached: cachedCount, targetCached: targetCached,
                               foregroundReference: chosen, warnings: references.warnings)
    }

    /// Backbone features of every reference image, computed now so that the set's matches
    /// start from the cache.
    public func warm(_ set: ReferenceSet) throws {
        for reference in set.images {
            let geometry = InputGeometry(imageWidth: reference.image.width, imageHeight: reference.image.height,
                                         longSide: config.longSide, patch: model.config.patchSize)
            _ = try features(reference.image, geometry, layer: config.layer)
        }
    }

    /// Each group's feature sampled in its own image: [groups, channels]. With `memberships`
    /// a keypoint blends only the patches inside its own instance, so that a keypoint on the
    /// outline does not carry the background.
    static func referenceQueries(groups: [Group], instances: [SourceInstance], imageOf: [Int], sources: [FeatureMap],
                                 memberships: [[[Bool]]]?) -> [Float] {
        let c = sources[0].channels
        // The instance's position within its own image, for its membership row.
        var local = [Int](repeating: 0, count: instances.count)
        var counts = [Int](repeating: 0, count: sources.count)
        for index in instances.indices {
            local[index] = counts[imageOf[index]]
            counts[imageOf[index]] += 1
        }
        var queries = [Float](repeating: 0, count: groups.count * c)
        for (row, group) in groups.enumerated() {
            let source = sources[imageOf[group.instance]]
            let point = instances[group.instance].keypoints[group.keypoint]
            let vector = source.sample(gridX: point.x * source.geometry.sx - 0.5, gridY: point.y * source.geometry.sy - 0.5,
                                       inside: memberships?[imageOf[group.instance]][local[group.instance]])
            for j in 0..<c { queries[row * c + j] = vector[j] }
        }
        return queries
    }

    /// Every query times every target patch (one GEMM), less the background penalty:
    /// [rows, target patches].
    static func costs(queries: [Float], rows: Int, target: FeatureMap, foreground: [Float], penalty: Float) -> [Float] {
        let c = target.channels, patches = target.geometry.patches
        var costs = [Float](repeating: 0, count: rows * patches)
        guard rows > 0 else { return costs }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(patches), Int32(c), 1,
                    queries, Int32(c), target.values, Int32(c), 0, &costs, Int32(patches))
        for row in 0..<rows {
            for patch in 0..<patches { costs[row * patches + patch] -= penalty * (1 - foreground[patch]) }
        }
        return costs
    }

    /// The reference whose own keypoint features find the target most clearly: the highest
    /// mean, over its labelled keypoints, of the best cosine over the target's patches.
    static func bestReference(queries: [Float], groups: [Group], imageOf: [Int], images: Int, target: FeatureMap) -> Int {
        let patches = target.geometry.patches
        let similarity = costs(queries: queries, rows: groups.count, target: target,
                               foreground: [Float](repeating: 1, count: patches), penalty: 0)
        var sums = [Float](repeating: 0, count: images), counts = [Int](repeating: 0, count: images)
        for (row, group) in groups.enumerated() {
            let image = imageOf[group.instance]
            sums[image] += similarity[(row * patches)..<((row + 1) * patches)].max() ?? 0
            counts[image] += 1
        }
        let means = (0..<images).map { counts[$0] > 0 ? sums[$0] / Float(counts[$0]) : -.infinity }
        return means.indices.max { means[$0] < means[$1] } ?? 0
    }
}
