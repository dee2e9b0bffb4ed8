// libFuzzer entry over the decoders with limits: every input must decode within the limits
// or fail with a typed error; a crash, a leak or a sanitizer report is a finding.

// Small limits keep each run fast; the decoders' logic is the same at any limit.
let fuzzLimits = ImageLimits(maxPixels: 1 << 20, maxSide: 4096, maxScans: 64)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    do {
        let image = try ImageDecoder.decode(bytes, limits: fuzzLimits)
        if image.pixels.count != image.width * image.height * 3 || image.width * image.height > fuzzLimits.maxPixels {
            fatalError("decoded image breaks its invariants")
        }
    } catch {
        _ = error.description
    }
    if ImageFormat.sniff(bytes) == .png {
        do {
            let instances = try InstanceIDImage.decode(bytes, limits: fuzzLimits)
            for instance in instances where instance.mask.counts.reduce(0, { $0 + Int($1) }) != instance.mask.size.pixelCount {
                fatalError("instance mask does not cover its image")
            }
        } catch {
            _ = error.description
        }
    }
    return 0
}
