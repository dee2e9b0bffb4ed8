// The matcher the service serves: loaded in the background at start (health answers while
// it loads), warmed up with one synthetic pair, then ready. Readiness and /v1/models read
// its state.
import Foundation
import Imaging
import Matching
import Tensor

public final class ModelHost: @unchecked Sendable {
    public enum State: Sendable {
        case none
        case loading
        case ready(Matcher, Warmup)
        case failed(String)
    }

    /// What the warm-up measured.
    public struct Warmup: Sendable, Equatable {
        /// One backbone forward at the default input size (a 4:3 image).
        public var forwardMilliseconds: Double
        public var pairMilliseconds: Double
    }

    private let lock = NSLock()
    // Guarded by `lock`.
    private var current: State

    public init(state: State = .none) { current = state }

    public var state: State {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func set(_ state: State) {
        lock.lock()
        current = state
        lock.unlock()
    }

    /// Loads the configured model on a thread of its own; nothing when none is configured.
    public func startLoading(_ configuration: InferenceConfiguration, log: @escaping @Sendable (String) -> Void) {
        guard let configPath = configuration.modelConfig else { return }
        set(.loading)
        let thread = Thread { [self] in
            do {
                let matcher = try Matcher.load(configPath: configPath, modelDirectory: configuration.modelDirectory)
                let warmup = configuration.warmup ? try Self.warmUp(matcher) : Warmup(forwardMilliseconds: 0, pairMilliseconds: 0)
                log("model \(matcher.name) ready: forward \(String(format: "%.1f", warmup.forwardMilliseconds)) ms at long side \(matcher.config.longSide), warm-up pair \(String(format: "%.1f", warmup.pairMilliseconds)) ms")
                set(.ready(matcher, warmup))
            } catch {
                log("model failed to load: \(error)")
                set(.failed("\(error)"))
            }
        }
        thread.name = "model-loader"
        thread.start()
    }

    /// One synthetic pair through the whole pipeline, then one timed forward.
    static func warmUp(_ matcher: Matcher) throws -> Warmup {
        let (source, target) = (SyntheticImage.make(width: 640, height: 480, seed: 1), SyntheticImage.make(width: 640, height: 480, seed: 2))
        let instance = SourceInstance(
            id: 1, keypoints: [SourceKeypoint(x: 300, y: 200, visibility: 2), SourceKeypoint(x: 340, y: 260, visibility: 2)],
            box: BoundingBox(x: 250, y: 150, width: 150, height: 160))
        let start = ContinuousClock.now
        _ = try matcher.match(PairInput(source: source, target: target, instances: [instance]))
        let pair = ContinuousClock.now - start
        let forward = try matcher.forwardMilliseconds(source)
        return Warmup(forwardMilliseconds: forward, pairMilliseconds: pair.milliseconds)
    }
}

/// A deterministic textured picture for the warm-up (no file needed in the container).
enum SyntheticImage {
    static func make(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let noise = UInt8(truncatingIfNeeded: state >> 59)
                let base = (y * width + x) * 3
                pixels[base] = UInt8(truncatingIfNeeded: x / 3) &+ noise
                pixels[base + 1] = UInt8(truncatingIfNeeded: y / 2) &+ noise
                pixels[base + 2] = UInt8(truncatingIfNeeded: (x + y) / 4)
            }
        }
        return (try? RGBImage(width: width, height: height, pixels: pixels)) ?? RGBImage(width: width, height: height)
    }
}
