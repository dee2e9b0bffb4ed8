// libFuzzer entry over the decoders with limits: every input must decode within the limits
// or fail with a typed error; a crash, a leak or a sanitizer report is a finding. The same
// bytes also go through the COCO RLE string and Segmentation JSON readers.
import Foundation

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
    fuzzMasks(bytes)
    return 0
}

/// Reading an RLE string must either fail with a MaskError or give counts that re-encode to
/// a string that reads back the same; Segmentation JSON must never trap.
func fuzzMasks(_ bytes: [UInt8]) {
    guard bytes.count >= 2 else { return }
    let (height, width) = (Int(bytes[0] % 64), Int(bytes[1] % 64))
    let text = String(decoding: bytes.dropFirst(2), as: UTF8.self)
    if let rle = try? RLE(compressed: text, height: height, width: width) {
        guard let again = try? RLE(compressed: rle.compressed, height: height, width: width), again == rle else {
            fatalError("RLE string does not round-trip")
        }
        _ = rle.bbox
        _ = try? RLE.iou(rle, rle)
        if rle.rowMajorMask().count != height * width { fatalError("decoded mask has the wrong size") }
    }
    if let segmentation = try? JSONDecoder().decode(Segmentation.self, from: Data(bytes.dropFirst(2))) {
        _ = try? segmentation.rle(height: max(height, 1), width: max(width, 1))
    }
}
