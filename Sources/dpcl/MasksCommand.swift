// `dpcl masks`: instance-id PNG masks to COCO RLE JSON and back, for people preparing
// annotations.
import ArgumentParser
import Foundation
import Imaging

struct MasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "masks",
        abstract: "Convert instance-id PNG masks (pixel value = instance id, 0 = background) and COCO RLE.",
        subcommands: [ToRLE.self, ToPNG.self]
    )

    struct ToRLE: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "to-rle",
            abstract: "Print {\"<id>\": {\"size\": [h, w], \"counts\": \"...\"}} for every non-zero id of an ID PNG.")

        @Argument(help: "An 8- or 16-bit grayscale (or palette) PNG.")
        var mask: String

        func run() throws {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: mask)))
            do {
                print(InstanceMasksJSON.encode(try InstanceIDImage.decode(bytes)), terminator: "")
            } catch {
                throw MasksFailure(description: "\(mask): \(error)")
            }
        }
    }

    struct ToPNG: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "to-png",
            abstract: "Write an ID PNG (8-bit, or 16-bit when an id exceeds 255) from the JSON that to-rle prints.")

        @Argument(help: "JSON object of instance id to COCO RLE (string or integer counts) or polygons.")
        var rle: String

        @Option(help: "Where to write the PNG.")
        var out: String

        @Option(help: "Image height, needed only for polygon masks.")
        var height: Int?

        @Option(help: "Image width, needed only for polygon masks.")
        var width: Int?

        @Option(help: "zlib level 0...9.")
        var level: Int = 9

        func run() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: rle))
            let size = height.flatMap { h in width.map { MaskSize(height: h, width: $0) } }
            do {
                let instances = try InstanceMasksJSON.decode(data, size: size)
                guard let first = instances.first else { throw MasksFailure(description: "\(rle): no instance to write") }
                let png = try InstanceIDImage.encode(instances, height: first.mask.height, width: first.mask.width, level: level)
                try Data(png).write(to: URL(fileURLWithPath: out))
            } catch let error as MasksFailure {
                throw error
            } catch {
                throw MasksFailure(description: "\(rle): \(error)")
            }
        }
    }
}

/// A bad input file: printed as `Error: <file>: <what to fix>`, exit status 1.
struct MasksFailure: Error, CustomStringConvertible {
    var description: String
}
