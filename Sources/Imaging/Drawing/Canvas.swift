// A mutable RGB picture with the few drawing operations match pictures need: blending,
// lines, discs, rectangles, text. Everything outside the canvas is clipped.

public struct RGB: Sendable, Hashable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
}

struct Canvas {
    var image: RGBImage

    init(width: Int, height: Int, background: RGB) {
        image = RGBImage(width: width, height: height, fill: (background.r, background.g, background.b))
    }

    var width: Int { image.width }
    var height: Int { image.height }

    /// Copies `picture` with its top-left corner at (x0, y0).
    mutating func paste(_ picture: RGBImage, x0: Int, y0: Int) {
        for y in 0..<picture.height where (0..<height).contains(y + y0) {
            for x in 0..<picture.width where (0..<width).contains(x + x0) {
                let s = (y * picture.width + x) * 3, d = ((y + y0) * width + x + x0) * 3
                image.pixels[d] = picture.pixels[s]
                image.pixels[d + 1] = picture.pixels[s + 1]
                image.pixels[d + 2] = picture.pixels[s + 2]
            }
        }
    }

    /// Mixes `colour` into one pixel with weight `alpha` (0...1).
    mutating func blend(x: Int, y: Int, _ colour: RGB, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - alpha) + Double(b) * alpha).rounded()) }
        image.pixels[i] = mix(image.pixels[i], colour.r)
        image.pixels[i + 1] = mix(image.pixels[i + 1], colour.g)
        image.pixels[i + 2] = mix(image.pixels[i + 2], colour.b)
    }

    mutating func set(x: Int, y: Int, _ colour: RGB) { blend(x: x, y: y, colour, alpha: 1) }

    mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, _ colour: RGB) {
        for yy in y..<(y + max(h, 0)) { for xx in x..<(x + max(w, 0)) { set(x: xx, y: yy, colour) } }
    }

    mutating func disc(cx: Double, cy: Double, radius: Double, _ colour: RGB) {
        let r = Int(radius.rounded(.up))
        let (x0, y0) = (Int(cx.rounded(.down)), Int(cy.rounded(.down)))
        for dy in -r...r {
            for dx in -r...r {
                let (px, py) = (Double(x0 + dx) + 0.5 - cx, Double(y0 + dy) + 0.5 - cy)
                if px * px + py * py <= radius * radius { set(x: x0 + dx, y: y0 + dy, colour) }
            }
        }
    }

    /// A line `thickness` pixels wide between two points in continuous coordinates.
    mutating func line(from a: (x: Double, y: Double), to b: (x: Double, y: Double), _ colour: RGB, thickness: Double = 2) {
        let length = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
        // Bounded: a line never needs more steps than the canvas is wide and high.
        let steps = Int(min(length * 2, Double(2 * (width + height)))) + 1
        for s in 0...steps {
            let t = Double(s) / Double(steps)
            disc(cx: a.x + (b.x - a.x) * t, cy: a.y + (b.y - a.y) * t, radius: thickness / 2, colour)
        }
    }

    /// `text` in the built-in 3x5 font, `scale` pixels per font pixel; returns the width used.
    @discardableResult
    mutating func text(_ text: String, x: Int, y: Int, scale: Int, _ colour: RGB) -> Int {
        var cursor = x
        for character in text.uppercased() {
            let rows = BitmapFont.glyph(character)
            for (row, bits) in rows.enumerated() {
                for column in 0..<3 where bits & (0b100 >> UInt8(column)) != 0 {
                    fillRect(x: cursor + column * scale, y: y + row * scale, width: scale, height: scale, colour)
                }
            }
            cursor += 4 * scale
        }
        return cursor - x
    }
}
