// The JSON of `dpcl masks`: `{"<id>": {"size": [h, w], "counts": "..."}, ...}`, ids in
// increasing order, one COCO compressed RLE per instance.
import Foundation

public enum InstanceMasksJSON {
    /// One line per instance, ids in numeric order (JSONEncoder would sort "10" before "2").
    public static func encode(_ instances: [InstanceMask]) -> String {
        let entries = instances.sorted { $0.id < $1.id }.map { instance in
            // The COCO alphabet ('0'...'o') holds one character JSON must escape: '\'.
            let counts = instance.mask.compressed.replacingOccurrences(of: "\\", with: "\\\\")
            return "  \"\(instance.id)\": {\"size\": [\(instance.mask.height), \(instance.mask.width)], \"counts\": \"\(counts)\"}"
        }
        return entries.isEmpty ? "{}\n" : "{\n" + entries.joined(separator: ",\n") + "\n}\n"
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case notAnObject
        case badID(String)
        case badMask(id: String, reason: String)
        case mixedSizes

        public var description: String {
            switch self {
            case .notAnObject: "expected a JSON object {\"<id>\": {\"size\": [h, w], \"counts\": ...}}"
            case let .badID(id): "instance id \"\(id)\" is not an integer in 1...65535"
            case let .badMask(id, reason): "mask of instance \(id): \(reason)"
            case .mixedSizes: "all masks must have the same size"
            }
        }
    }

    /// Reads the object back. Masks may also use integer counts; polygons need `size`
    /// (height, width), since they carry none.
    public static func decode(_ data: Data, size: MaskSize? = nil) throws -> [InstanceMask] {
        let object: [String: Segmentation]
        do {
            object = try JSONDecoder().decode([String: Segmentation].self, from: data)
        } catch let error as DecodingError {
            // The first coding-path element is the instance id whose mask is wrong.
            let (path, reason) = switch error {
            case let .dataCorrupted(context), let .typeMismatch(_, context), let .valueNotFound(_, context),
                 let .keyNotFound(_, context):
                (context.codingPath, context.debugDescription)
            @unknown default:
                ([CodingKey](), "\(error)")
            }
            guard let id = path.first?.stringValue else { throw Failure.notAnObject }
            throw Failure.badMask(id: id, reason: reason)
        }
        var instances = [InstanceMask]()
        for (key, segmentation) in object {
            guard let id = Int(key), (1...65535).contains(id) else { throw Failure.badID(key) }
            guard let declared = segmentation.declaredSize ?? size else {
                throw Failure.badMask(id: key, reason: "polygons need the image size (--height, --width)")
            }
            do {
                instances.append(InstanceMask(id: id, mask: try segmentation.rle(height: declared.height, width: declared.width)))
            } catch {
                throw Failure.badMask(id: key, reason: error.description)
            }
        }
        instances.sort { $0.id < $1.id }
        if let first = instances.first, instances.contains(where: { $0.mask.size != first.mask.size }) { throw Failure.mixedSizes }
        return instances
    }
}
