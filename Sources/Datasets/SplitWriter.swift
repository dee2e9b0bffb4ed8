// Writes a split plan as a misc-pairs/v1 document (streamed: one line per image, instance
// and pair, never the whole document in memory) and links or copies its images beside it,
// so the folder is a split on its own.
import Foundation

public enum SplitWriter {
    /// Writes `plan` to `path` (through a temporary file renamed into place) and its images
    /// into `images/` beside it.
    public static func write(_ plan: SplitPlan, name: String, to path: String, copyImages: Bool) throws(DatasetError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let imagesFolder = folder.appendingPathComponent("images")
        do {
            try FileManager.default.createDirectory(at: imagesFolder, withIntermediateDirectories: true)
            for image in plan.images {
                let destination = imagesFolder.appendingPathComponent(image.name).path
                let source = URL(fileURLWithPath: image.path).standardizedFileURL.path
                guard source != URL(fileURLWithPath: destination).standardizedFileURL.path else { continue }
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: destination)) != nil
                    || FileManager.default.fileExists(atPath: destination) {
                    try FileManager.default.removeItem(atPath: destination)
                }
                if copyImages {
                    try FileManager.default.copyItem(atPath: source, toPath: destination)
                } else {
                    try FileManager.default.createSymbolicLink(atPath: destination, withDestinationPath: source)
                }
            }
        } catch {
            throw .output(path: imagesFolder.path, reason: "\(error)")
        }
        let partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
            throw .output(path: path, reason: "cannot create \(partial)")
        }
        do {
            var out = JSONOutput(handle: handle)
            try document(plan, name: name, into: &out)
            try out.flush()
            try handle.close()
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw .output(path: path, reason: "\(error)")
        }
    }

    private static func document(_ plan: SplitPlan, name: String, into out: inout JSONOutput) throws {
        out.raw("{\"format\": \"misc-pairs/v1\", \"name\": ")
        out.string(name)
        out.raw(",\n\"categories\": [")
        for (index, category) in plan.categories.enumerated() {
            out.raw(index == 0 ? "\n" : ",\n")
            out.raw("{\"name\": ")
            out.string(category.name)
            out.raw(", \"keypoints\": [")
            for (position, keypoint) in category.keypoints.enumerated() {
                if position > 0 { out.raw(", ") }
                out.string(keypoint)
            }
            out.raw("]}")
        }
        out.raw("],\n\"images\": [")
        for (index, image) in plan.images.enumerated() {
            out.raw(index == 0 ? "\n" : ",\n")
            out.raw("{\"id\": ")
            out.string(image.id)
            out.raw(", \"file\": ")
            out.string("images/" + image.name)
            out.raw(", \"width\": \(image.width), \"height\": \(image.height), \"coco_id\": \(image.cocoID)}")
            try out.flushIfFull()
        }
        out.raw("],\n\"instances\": [")
        for (index, instance) in plan.instances.enumerated() {
            out.raw(index == 0 ? "\n" : ",\n")
            out.raw("{\"id\": \(instance.id), \"image\": ")
            out.string(plan.images[instance.image].id)
            out.raw(", \"category\": ")
            out.string(plan.categories[instance.category].name)
            if let bbox = instance.bbox {
                out.raw(", \"bbox\": ")
                out.numbers(bbox)
            }
            if let segmentation = instance.segmentation {
                out.raw(", \"segmentation\": ")
                out.segmentation(segmentation)
            }
            out.raw(", \"keypoints\": [")
            for keypoint in 0..<instance.keypoints.count / 3 {
                if keypoint > 0 { out.raw(", ") }
                out.numbers(instance.keypoints[3 * keypoint..<3 * keypoint + 3])
            }
            out.raw("]}")
            try out.flushIfFull()
        }
        out.raw("],\n\"pairs\": [")
        var first = true
        // Ids and category names escaped once, not once per pair.
        let imageIDs = plan.images.map { JSONOutput.quoted($0.id) }
        for pairs in plan.pairs {
            let category = plan.categories[pairs.category].name
            let quotedCategory = JSONOutput.quoted(category)
            let digits = max(4, String(pairs.count).count)
            var number = 0
            var failure: (any Error)?
            pairs.forEach { source, target in
                guard failure == nil else { return }
                number += 1
                out.raw(first ? "\n" : ",\n")
                first = false
                let serial = String(number)
                out.raw("{\"id\": ")
                out.string(category + "-" + String(repeating: "0", count: max(0, digits - serial.count)) + serial)
                out.raw(", \"category\": ")
                out.bytes(quotedCategory)
                out.raw(", \"source\": ")
                out.bytes(imageIDs[source])
                out.raw(", \"target\": ")
                out.bytes(imageIDs[target])
                out.raw("}")
                do { try out.flushIfFull() } catch { failure = error }
            }
            if let failure { throw failure }
        }
        out.raw("]}\n")
    }
}

/// A buffered JSON byte writer for the few shapes a split has.
struct JSONOutput {
    let handle: FileHandle
    private var buffer: [UInt8] = []

    init(handle: FileHandle) {
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    mutating func raw(_ text: String) { buffer.append(contentsOf: text.utf8) }
    mutating func bytes(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }
    mutating func string(_ text: String) { buffer.append(contentsOf: Self.quoted(text)) }

    /// Integral values as integers (as COCO writes most keypoints), others in Swift's
    /// shortest round-tripping form.
    mutating func number(_ value: Double) {
        if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
            raw(String(Int64(value)))
        } else {
            raw(value.description)
        }
    }

    mutating func numbers<C: Collection<Double>>(_ values: C) {
        buffer.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { raw(", ") }
            number(value)
        }
        buffer.append(UInt8(ascii: "]"))
    }

    mutating func segmentation(_ segmentation: RawSegmentation) {
        switch segmentation {
        case .polygons(let polygons):
            buffer.append(UInt8(ascii: "["))
            for (index, polygon) in polygons.enumerated() {
                if index > 0 { raw(", ") }
                numbers(polygon)
            }
            buffer.append(UInt8(ascii: "]"))
        case .compressed(let size, let counts):
            raw("{\"size\": [\(size[0]), \(size[1])], \"counts\": ")
            string(counts)
            raw("}")
        case .runs(let size, let counts):
            raw("{\"size\": [\(size[0]), \(size[1])], \"counts\": [")
            raw(counts.map(String.init).joined(separator: ", "))
            raw("]}")
        }
    }

    mutating func flushIfFull() throws { if buffer.count >= 1 << 20 { try flush() } }

    mutating func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    static func quoted(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A: bytes += Array("\\n".utf8)
            case 0x0D: bytes += Array("\\r".utf8)
            case 0x09: bytes += Array("\\t".utf8)
            case ..<0x20: bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }
}
