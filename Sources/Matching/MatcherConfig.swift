// Every constant of the matching pipeline, decoded from the `matcher` object of a model
// config (Config/models/*.json), so that a reader changes one number in one file.

public struct MatcherConfig: Codable, Sendable, Equatable {
    /// Long side of the backbone input in pixels (aspect kept, both sides rounded to
    /// multiples of the patch size).
    public var longSide: Int
    /// Backbone block whose patch tokens are matched (0-based; the forward stops after it).
    public var layer: Int
    /// A keypoint's feature blends only the patches inside its instance (mask, else box).
    public var sampleInsideInstance: Bool
    /// Every source instance's keypoint queries the mean feature of that keypoint over all
    /// the source instances that label it.
    public var keypointPrototypes: Bool
    public var foreground: Foreground
    public var heatmap: Heatmap
    public var peaks: Peaks
    public var refinement: Refinement
    public var segmentation: Segmentation
    public var extras: Extras
    public var closedLoop: ClosedLoop
    public var references: References
    /// Upper bound of the feature cache in MiB (0 disables it).
    public var featureCacheMB: Int

    /// The source-mask prior: which target patches look like the source instances.
    public struct Foreground: Codable, Sendable, Equatable {
        /// Labelled source patches consulted per target patch (nearest by cosine).
        public var neighbours: Int
        /// Source boxes are enlarged by this fraction of their width and height before a
        /// patch outside all of them counts as background.
        public var boxMargin: Double
        /// Cost subtracted from a target patch's correlation in proportion to 1 − p_fg.
        public var penalty: Double
        /// p_fg at or above which a target patch is foreground (segmentation input).
        public var threshold: Double
    }

    /// Correlation map → heatmap.
    public struct Heatmap: Codable, Sendable, Equatable {
        /// Upsampling factor of the patch grid (bilinear, half-pixel centres).
        public var upsample: Int
        /// heat = sigmoid((c − (max c − offset)) / temperature): the map's best cell is
        /// always sigmoid(offset / temperature).
        public var offset: Double
        public var temperature: Double
    }

    /// Heatmap → candidate peaks.
    public struct Peaks: Codable, Sendable, Equatable {
        /// Minimum heat of a peak (the paper's static threshold).
        public var threshold: Double
        /// NMS radius as a fraction of the long side of the target (Chebyshev, in cells).
        public var nmsRadius: Double
        /// Most matches per (source instance, keypoint).
        public var maxMatches: Int
    }

    /// Sub-cell location of a peak: soft-argmax of the upsampled correlation.
    public struct Refinement: Codable, Sendable, Equatable {
        /// Side of the square window of cells (odd).
        public var window: Int
        public var temperature: Double
    }

    /// Training-free co-segmentation: a normalised cut of the foreground patches.
    public struct Segmentation: Codable, Sendable, Equatable {
        /// Affinity links patches at most this many cells apart (per axis).
        public var neighbourhood: Int
        /// W = exp(−(1 − cos) / featureTemperature) · exp(−d² / spatialScale).
        public var featureTemperature: Double
        public var spatialScale: Double
        /// Largest instance count the eigengap may choose.
        public var maxInstances: Int
        /// A count k is a cut only when λ_k ≤ maxEigenRatio · λ_{k+1} (1 accepts every k).
        public var maxEigenRatio: Double
        public var kmeansIterations: Int
        /// Segments with fewer patches are dropped (their patches join no instance).
        public var minPatches: Int
        /// A segment holding two or more far-apart peaks of most of its distinctive keypoints is
        /// cut again into that many instances.
        public var splitOnRepeatedKeypoints: Bool
        /// Touching segments merge (parts of one instance) while the keypoints they both hold
        /// are less than this share of the smaller set (0 disables).
        public var partOverlap: Double
        /// Masks are refined on the target's edges by a guided filter of this radius, in
        /// patches (0 disables), and this regularisation (grey levels in 0...1).
        public var refineRadius: Double
        public var refineEpsilon: Double
        /// The filter's guide is the colour image (else its grey levels).
        public var refineColour: Bool
    }

    /// One extra match per separated instance (each group gets its best cell in every
    /// segment that supports the source instance).
    public struct Extras: Codable, Sendable, Equatable {
        public var enabled: Bool
        /// An extra needs heat ≥ relativeThreshold × the map's maximum.
        public var relativeThreshold: Double
        /// Share of the source instance's labelled keypoints that must have a candidate in
        /// the segment for it to count as a real instance.
        public var support: Double
        /// Extras only when the source image holds at least this many instances.
        public var minSourceInstances: Int
    }

    /// The paper's closed-loop check: a match must map back near its source keypoint.
    public struct ClosedLoop: Codable, Sendable, Equatable {
        public var enabled: Bool
        /// Allowed return distance, as a fraction of the source's long side.
        public var radius: Double
    }

    /// Matching from several labelled reference images at once (`Matcher.match(references:)`).
    public struct References: Codable, Sendable, Equatable {
        /// Which reference images the foreground prior (and so the co-segmentation) learns from.
        public var foreground: ReferenceForeground
    }

    public enum ReferenceForeground: String, Codable, Sendable {
        /// The labelled patches of every reference image, pooled.
        case all
        /// Those of the one reference whose keypoints the target shows most clearly (the
        /// highest mean best cosine of its keypoint features over the target's patches).
        case best
    }

    enum CodingKeys: String, CodingKey {
        case longSide = "long_side", layer, sampleInsideInstance = "sample_inside_instance", keypointPrototypes = "keypoint_prototypes", foreground, heatmap, peaks, refinement, segmentation, extras
        case closedLoop = "closed_loop", references, featureCacheMB = "feature_cache_mb"
    }

    /// Allowed values of the settings a request may override (`MatchOptions`).
    static let fractions: ClosedRange<Double> = 0...1
    static let matchesPerKeypoint: ClosedRange<Int> = 1...1000

    /// The first inconsistency, if any.
    public func problem(patchSize: Int) -> String? {
        if longSide < patchSize || longSide > 4096 { return "long_side \(longSide) must be in \(patchSize)...4096" }
        if layer < 0 { return "layer must not be negative" }
        if foreground.neighbours < 1 { return "foreground.neighbours must be at least 1" }
        if heatmap.upsample < 1 || heatmap.upsample > 16 { return "heatmap.upsample must be in 1...16" }
        if !(heatmap.temperature > 0) || !(refinement.temperature > 0) { return "temperatures must be positive" }
        if !Self.fractions.contains(peaks.threshold) { return "peaks.threshold must be in \(Self.fractions)" }
        if !Self.fractions.contains(peaks.nmsRadius) { return "peaks.nms_radius must be in \(Self.fractions)" }
        if !Self.matchesPerKeypoint.contains(peaks.maxMatches) { return "peaks.max_matches must be in \(Self.matchesPerKeypoint)" }
        if refinement.window < 1 || refinement.window % 2 == 0 { return "refinement.window must be odd and positive" }
        if segmentation.maxInstances < 1 || segmentation.maxInstances > 32 { return "segmentation.max_instances must be in 1...32" }
        if segmentation.neighbourhood < 1 { return "segmentation.neighbourhood must be at least 1" }
        if featureCacheMB < 0 { return "feature_cache_mb must not be negative" }
        return nil
    }
}

extension MatcherConfig.Foreground {
    enum CodingKeys: String, CodingKey { case neighbours, boxMargin = "box_margin", penalty, threshold }
}
extension MatcherConfig.Peaks {
    enum CodingKeys: String, CodingKey { case threshold, nmsRadius = "nms_radius", maxMatches = "max_matches" }
}
extension MatcherConfig.Segmentation {
    enum CodingKeys: String, CodingKey {
        case neighbourhood, featureTemperature = "feature_temperature", spatialScale = "spatial_scale"
        case maxInstances = "max_instances", maxEigenRatio = "max_eigen_ratio", kmeansIterations = "kmeans_iterations", minPatches = "min_patches"
        case splitOnRepeatedKeypoints = "split_on_repeated_keypoints", partOverlap = "part_overlap", refineRadius = "refine_radius", refineEpsilon = "refine_epsilon", refineColour = "refine_colour"
    }
}
extension MatcherConfig.Extras {
    enum CodingKeys: String, CodingKey {
        case enabled, relativeThreshold = "relative_threshold", support, minSourceInstances = "min_source_instances"
    }
}

public enum MatcherConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(path: String, problem: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read matcher config \(path): \(reason)"
        case .invalid(let path, let problem): "matcher config \(path): \(problem)"
        }
    }
}

/// Decoding errors in words a config author can act on.
enum ConfigDecoding {
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "the document" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \(key.stringValue) in \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context))"
        case .valueNotFound(_, let context): return "missing value at \(path(context))"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
