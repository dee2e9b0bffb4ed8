// An LRU of backbone features keyed by a hash of the decoded pixels, the input size and
// the layer, bounded in bytes: one source matched against many targets costs one forward.
import CCrypto
import Foundation
import Imaging

public final class FeatureCache: @unchecked Sendable {
    struct Key: Hashable {
        let digest: [UInt8]
        let width: Int, height: Int
        let inputWidth: Int, inputHeight: Int
        let layer: Int
    }

    private struct Entry {
        let features: FeatureMap
        var lastUse: UInt64
        var bytes: Int { features.values.count * MemoryLayout<Float>.stride }
    }

    public let capacityBytes: Int
    private let lock = NSLock()
    // Guarded by `lock`.
    private var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0
    private var bytes = 0
    private var hitCount = 0, missCount = 0

    public init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
    }

    static func key(_ image: RGBImage, geometry: InputGeometry, layer: Int) -> Key {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        image.pixels.withUnsafeBytes { pixels in
            _ = EVP_Digest(pixels.baseAddress, pixels.count, &digest, &length, EVP_sha256(), nil)
        }
        return Key(digest: Array(digest.prefix(Int(length))), width: image.width, height: image.height,
                   inputWidth: geometry.inputWidth, inputHeight: geometry.inputHeight, layer: layer)
    }

    func lookup(_ key: Key) -> FeatureMap? {
        lock.lock()
        defer { lock.unlock() }
        guard var entry = entries[key] else {
            missCount += 1
            return nil
        }
        clock += 1
        entry.lastUse = clock
        entries[key] = entry
        hitCount += 1
        return entry.features
    }

    func insert(_ features: FeatureMap, for key: Key) {
        let entry = Entry(features: features, lastUse: 0)
        guard entry.bytes <= capacityBytes else { return }
        lock.lock()
        defer { lock.unlock() }
        if let old = entries[key] { bytes -= old.bytes }
        clock += 1
        entries[key] = Entry(features: features, lastUse: clock)
        bytes += entry.bytes
        // Evicting scans the entries: a few hundred at most at the default bound.
        while bytes > capacityBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            bytes -= oldest.value.bytes
            entries[oldest.key] = nil
        }
    }

    /// Hits, misses, entries and bytes held, for metrics.
    public var statistics: (hits: Int, misses: Int, entries: Int, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (hitCount, missCount, entries.count, bytes)
    }
}
