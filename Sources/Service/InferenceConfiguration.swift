// Settings of the matcher behind POST /v1/match: which model, where its weights are, and
// the inference queue (its own workers and bound, apart from the HTTP executor).

public struct InferenceConfiguration: Sendable, Equatable {
    /// The model config (architecture, weight file, `matcher` settings); nil serves no model,
    /// and /v1/match answers 503.
    public var modelConfig: String?
    /// Directory of the weight files; nil: $DPCL_MODEL_DIR or ~/.cache/dpcl/models.
    public var modelDirectory: String?
    /// Pairs computed at once. Default 1: one pair at a time with every BLAS thread.
    public var workers = 1
    /// Pairs waiting for a worker; beyond it: 503 with Retry-After.
    public var queueCapacity = 8
    public var retryAfterSeconds = 2
    /// Largest decoded image accepted (pixels); beyond it: 413.
    public var maxImagePixels = 40_000_000
    /// Stored reference sets (POST /v1/references/{set}) and the bytes of one (its images as
    /// sent plus its annotations); beyond either: 413.
    public var maxReferenceSets = 64
    public var maxReferenceSetBytes = 32 << 20
    /// Run one synthetic pair before readiness turns 200 (and measure the forward time).
    public var warmup = true

    public init() {}
}
