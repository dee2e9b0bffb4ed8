// Times Imaging's decode and resize on the dev images (median of repeated runs), printing
// one line per operation as "name median_ms" for imaging.sh to compare with Pillow.
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 3, let repeats = Int(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: imaging-bench REPEATS IMAGE...\n".utf8))
    exit(2)
}
let files = arguments.dropFirst(2).map { URL(fileURLWithPath: $0) }
let inputs = try files.map { try [UInt8](Data(contentsOf: $0)) }

func median(_ body: () throws -> Void) rethrows -> Double {
    var times = [Double]()
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times.sorted()[times.count / 2]
}

let decoded = try inputs.map { try ImageDecoder.decode($0) }
print("decode", try median { for bytes in inputs { _ = try ImageDecoder.decode(bytes) } })
print("resize_256", try median { for image in decoded { _ = try BilinearResize.resize(image, width: 256, height: 256) } })
print("resize_half", try median {
    for image in decoded { _ = try BilinearResize.resize(image, width: max(1, image.width / 2), height: max(1, image.height / 2)) }
})
