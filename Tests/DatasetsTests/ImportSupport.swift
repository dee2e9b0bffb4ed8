// What the import tests share: a split imported into a fresh folder (through the library or
// the real command), read back by the readers that `dpcl eval` and `dpcl match` use.
import Datasets
import Evaluation
import Foundation
import Imaging
import TestSupport

enum Fixture {
    static let folder = Repository.root.appending(path: "Tests/DatasetsTests/Fixtures")
    static func file(_ name: String) -> String { folder.appending(path: name).path }
    static let images = folder.appending(path: "images").path
}

/// A fresh folder under the temporary directory, removed when the value is.
final class ScratchFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appending(path: "coco-import-\(UUID().uuidString)").path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func split(_ name: String) -> String { path + "/" + name + "/pairs.json" }
}

struct Imported {
    let plan: SplitPlan
    let log: [String]
    let benchmark: Benchmark

    /// Imports `file` into `out` as `dpcl pairs from-coco` does.
    init(_ file: String, images: String, out: String, name: String = "imported",
         configure: (inout COCOImportOptions) -> Void = { _ in }) throws {
        var options = COCOImportOptions(imagesFolder: images)
        configure(&options)
        var lines: [String] = []
        plan = try COCOImport.plan(try COCOKeypointFile.load(path: file), options: options) { lines.append($0) }
        log = lines
        try SplitWriter.write(plan, name: name, to: out, copyImages: false)
        benchmark = try GroundTruthReader.read(path: out)
    }
}

/// A pair by its images' ids.
struct ImagePair: Hashable, CustomStringConvertible {
    let category: String
    let source: String
    let target: String

    var description: String { "\(category): \(source)→\(target)" }
}

extension Benchmark {
    var imagePairs: [ImagePair] {
        pairs.map { ImagePair(category: categories[$0.category].name, source: images[$0.source].id, target: images[$0.target].id) }
    }

    /// An instance by content, as the dev splits renumber their instances: its image, its
    /// labelled keypoints (x, y where labelled, to the 3 decimals the dev splits keep) and its mask.
    struct Content: Hashable {
        let image: String
        let category: String
        let points: [Double?]
        let mask: RLE?
    }

    var contents: [Content: Int] {
        var counts: [Content: Int] = [:]
        for instance in instances {
            let keypoints = categories[instance.category].keypoints.count
            let points = (0..<keypoints).flatMap { keypoint -> [Double?] in
                let flat = instance.keypointStart + keypoint
                func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
                return keypointLabelled[flat] ? [rounded(keypointX[flat]), rounded(keypointY[flat])] : [nil, nil]
            }
            counts[Content(image: images[instance.image].id, category: categories[instance.category].name,
                           points: points, mask: instance.mask), default: 0] += 1
        }
        return counts
    }
}
