// Bilinear resizing against Pillow's Image.resize(..., BILINEAR) on every dev image at
// several sizes (down, up, one axis, odd), from the same decoded pixels.
import Foundation
import Testing
@testable import Imaging

@Suite struct ResizeParityTests {
    @Test func agreesWithPillowWithinOneLevel() throws {
        let directory = try ReferenceTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ReferenceTools.runPython("pillow_resize.py", [ReferenceTools.sharedData.path, directory.path])
        let lines = try String(contentsOf: directory.appendingPathComponent("sizes.txt"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count >= 100)
        var samples = 0, withinOne = 0, exact = 0, worst = 0
        var sources = [String: RGBImage]()
        for line in lines {
            let f = line.split(separator: " ").map(String.init)
            let (name, w, h, tw, th) = (f[0], Int(f[1])!, Int(f[2])!, Int(f[3])!, Int(f[4])!)
            if sources[name] == nil {
                let raw = try [UInt8](Data(contentsOf: directory.appendingPathComponent("\(name).src.rgb")))
                sources = [name: try RGBImage(width: w, height: h, pixels: raw)]
            }
            let source = try #require(sources[name])
            let expected = try [UInt8](Data(contentsOf: directory.appendingPathComponent("\(name).\(tw)x\(th).rgb")))
            let resized = try BilinearResize.resize(source, width: tw, height: th)
            #expect(resized.pixels.count == expected.count)
            guard resized.pixels.count == expected.count else { continue }
            resized.pixels.withUnsafeBufferPointer { mine in
                for i in expected.indices {
                    let d = abs(Int(mine[i]) - Int(expected[i]))
                    if d <= 1 { withinOne += 1 }
                    if d == 0 { exact += 1 }
                    worst = max(worst, d)
                }
            }
            samples += expected.count
        }
        print("resize parity: \(lines.count) resizes, \(samples) samples, \(exact) exact, \(withinOne) within 1 level, worst \(worst)")
        #expect(samples > 0)
        #expect(Double(withinOne) / Double(samples) >= 0.999)
    }

    @Test func geometryMapsPixelCentres() {
        let g = ResizeGeometry(fromWidth: 640, fromHeight: 480, toWidth: 256, toHeight: 256)
        // The centre of source pixel 0 (0.5) lands where output sampling puts it.
        let p = g.forward(x: 0.5, y: 0.5)
        #expect(abs(p.x - 0.2) < 1e-12 && abs(p.y - 0.5 * 256 / 480) < 1e-12)
        let back = g.backward(x: p.x, y: p.y)
        #expect(abs(back.x - 0.5) < 1e-12 && abs(back.y - 0.5) < 1e-12)
    }

    @Test func rejectsEmptyTarget() throws {
        let image = RGBImage(width: 4, height: 4)
        #expect(throws: ImageError.self) { try BilinearResize.resize(image, width: 0, height: 3) }
    }
}
