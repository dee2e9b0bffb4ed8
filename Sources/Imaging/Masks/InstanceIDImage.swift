// Instance-id PNG masks (8- or 16-bit gray, pixel value = instance id, 0 = background)
// read into one RLE per instance, and written from them.
import CShim

/// One instance's mask, as ID images and match pictures carry them.
public struct InstanceMask: Sendable, Hashable {
    public var id: Int
    public var mask: RLE

    public init(id: Int, mask: RLE) {
        self.id = id
        self.mask = mask
    }
}

public enum InstanceIDImage {
    /// Every non-zero id of an ID PNG (gray 1-16 bit, or palette where the index is the id),
    /// in increasing id order, each with its mask. One pass over the pixels whatever the
    /// number of instances.
    public static func decode(_ png: [UInt8], limits: ImageLimits = .default) throws(ImageError) -> [InstanceMask] {
        let format = ImageFormat.sniff(png)
        guard format == .png else {
            throw format == nil ? .notAnImage
                : .unsupported(format: .jpeg, detail: "an instance-id mask must be a PNG (JPEG is lossy)")
        }
        var result = dpcl_id_result()
        let status = png.withUnsafeBufferPointer { dpcl_png_decode_ids($0.baseAddress, $0.count, limits.c, &result) }
        defer { dpcl_free(result.samples) }
        guard status == DPCL_IMAGE_OK, let samples = result.samples else {
            throw ImageError(status: status, format: .png, message: ShimMessage.text(of: result.message),
                             limits: limits, declared: (Int(result.width), Int(result.height)))
        }
        let (width, height) = (Int(result.width), Int(result.height))
        let count = width * height
        if result.bit_depth == 16 {
            let values = UnsafeBufferPointer(start: samples.assumingMemoryBound(to: UInt16.self), count: count)
            return masks(values, width: width, height: height)
        }
        let values = UnsafeBufferPointer(start: samples.assumingMemoryBound(to: UInt8.self), count: count)
        return masks(values, width: width, height: height)
    }

    /// Every non-zero id of a row-major id buffer (`width × height`), in increasing id order,
    /// each with its mask: one pass whatever the number of ids.
    public static func masks(ids: [UInt16], width: Int, height: Int) -> [InstanceMask] {
        precondition(ids.count == width * height, "an id buffer holds width × height values")
        return ids.withUnsafeBufferPointer { masks($0, width: width, height: height) }
    }

    /// Column-major walk recording where each id's runs start and end.
    static func masks<Sample: FixedWidthInteger>(
        _ values: UnsafeBufferPointer<Sample>, width: Int, height: Int
    ) -> [InstanceMask] {
        var edges = [[UInt32]](repeating: [], count: Int(Sample.max) + 1)
        var previous = 0
        var position: UInt32 = 0
        for x in 0..<width {
            var index = x
            for _ in 0..<height {
                let value = Int(values[index])
                index += width
                if value != previous {
                    if previous != 0 { edges[previous].append(position) }
                    if value != 0 { edges[value].append(position) }
                    previous = value
                }
                position += 1
            }
        }
        if previous != 0 { edges[previous].append(position) }
        let size = MaskSize(height: height, width: width)
        var result = [InstanceMask]()
        for id in 1..<edges.count where !edges[id].isEmpty {
            // edges: start, end, start, end, ... -> background, foreground, ... runs.
            var counts = [UInt32]()
            counts.reserveCapacity(edges[id].count + 1)
            var last: UInt32 = 0
            for edge in edges[id] {
                counts.append(edge - last)
                last = edge
            }
            // A mask ending in foreground ends with that run, as pycocotools' encode does.
            if last < position { counts.append(position - last) }
            result.append(InstanceMask(id: id, mask: RLE(trusted: counts, size: size)))
        }
        return result
    }

    /// An ID PNG of the given instances: 8-bit gray when every id is at most 255, 16-bit
    /// otherwise. Ids must be 1...65535 and masks all of one size; where masks overlap,
    /// the later instance in the list wins.
    public static func encode(_ instances: [InstanceMask], height: Int, width: Int, level: Int = 6,
                              limits: ImageLimits = .default) throws(ImageError) -> [UInt8] {
        let size = MaskSize(height: height, width: width)
        guard height > 0, width > 0, height <= limits.maxSide, width <= limits.maxSide,
              height * width <= limits.maxPixels else {
            throw .tooLarge(width: width, height: height, limits: limits)
        }
        var largest = 0
        for instance in instances {
            guard (1...65535).contains(instance.id) else {
                throw .invalidPixels(detail: "instance id \(instance.id) is outside 1...65535")
            }
            guard instance.mask.size == size else {
                throw .invalidPixels(detail: "mask of instance \(instance.id) is \(instance.mask.size), the image is \(size)")
            }
            largest = max(largest, instance.id)
        }
        var ids = [UInt16](repeating: 0, count: height * width)
        ids.withUnsafeMutableBufferPointer { out in
            for instance in instances { instance.mask.paint(UInt16(instance.id), into: out) }
        }
        if largest <= 255 {
            return try PNGEncoder.encode(.gray8(ids.map { UInt8(truncatingIfNeeded: $0) }),
                                         width: width, height: height, level: level)
        }
        return try PNGEncoder.encode(.gray16(ids), width: width, height: height, level: level)
    }
}
