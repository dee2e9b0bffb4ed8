// Eight floats at a time for the per-pixel loops of the masks' refinement: each lane does
// the scalar formula's operations in its order, so that a vector loop gives the scalar
// loop's results bit for bit, and a row's last few pixels go through the same code.

typealias Lanes = SIMD8<Float>

extension UnsafePointer<Float> {
    /// The `count` (at most 8) floats from `offset` on; lanes past `count` are zero.
    @inline(__always) func lanes(_ offset: Int, _ count: Int) -> Lanes {
        if count == 8 { return UnsafeRawPointer(self + offset).loadUnaligned(as: Lanes.self) }
        var lanes = Lanes()
        for k in 0..<count { lanes[k] = self[offset + k] }
        return lanes
    }
}

extension UnsafeMutablePointer<Float> {
    @inline(__always) func lanes(_ offset: Int, _ count: Int) -> Lanes { UnsafePointer(self).lanes(offset, count) }

    /// Writes the first `count` (at most 8) lanes of `lanes` from `offset` on.
    @inline(__always) func store(_ lanes: Lanes, _ offset: Int, _ count: Int) {
        if count == 8 { return UnsafeMutableRawPointer(self + offset).storeBytes(of: lanes, as: Lanes.self) }
        for k in 0..<count { self[offset + k] = lanes[k] }
    }
}

/// `body(i, n)` over `0..<count` eight at a time: `n` is 8 but for the last, shorter step.
@inline(__always) func eightAtATime(_ count: Int, _ body: (_ i: Int, _ n: Int) -> Void) {
    var i = 0
    while i < count {
        body(i, min(8, count - i))
        i += 8
    }
}

/// `value(k)` in lane k for k in 0..<count (at most 8), zero beyond: a gather.
@inline(__always) func gathered(_ count: Int, _ value: (_ lane: Int) -> Float) -> Lanes {
    var lanes = Lanes()
    if count == 8 {
        // A constant trip count, so that the eight loads unroll into lane inserts.
        for k in 0..<8 { lanes[k] = value(k) }
    } else {
        for k in 0..<count { lanes[k] = value(k) }
    }
    return lanes
}

/// Three RGB bytes per pixel from `pixel` (the index of the first pixel's red byte) on, as
/// red, green and blue lanes of `count` pixels, each byte widened to a float.
@inline(__always) func colourLanes(_ pixels: UnsafeBufferPointer<UInt8>, _ pixel: Int, _ count: Int) -> (Lanes, Lanes, Lanes) {
    (gathered(count) { Float(pixels[pixel + 3 * $0]) }, gathered(count) { Float(pixels[pixel + 3 * $0 + 1]) },
     gathered(count) { Float(pixels[pixel + 3 * $0 + 2]) })
}
