// Edge-aware refinement of coarse masks (He et al.'s guided filter with the grey image as
// guide): a patch-level indicator, upsampled to pixels, snaps to the image's own edges.

struct GuidedFilter {
    let width: Int, height: Int
    let radius: Int
    let epsilon: Float
    /// The guide (grey levels in 0...1), its box mean and box variance.
    private let guide: [Float]
    private let meanGuide: [Float]
    private let varianceGuide: [Float]

    init(rgb pixels: [UInt8], width: Int, height: Int, radius: Int, epsilon: Float) {
        self.width = width
        self.height = height
        self.radius = max(1, radius)
        self.epsilon = epsilon
        var grey = [Float](repeating: 0, count: width * height)
        for index in 0..<(width * height) {
            let r = Float(pixels[3 * index]), g = Float(pixels[3 * index + 1]), b = Float(pixels[3 * index + 2])
            grey[index] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
        }
        guide = grey
        let mean = BoxFilter.mean(grey, width: width, height: height, radius: self.radius)
        let squares = BoxFilter.mean(grey.map { $0 * $0 }, width: width, height: height, radius: self.radius)
        meanGuide = mean
        varianceGuide = zip(squares, mean).map { $0 - $1 * $1 }
    }

    /// The filtered version of `input` (one value per pixel, row-major).
    func apply(_ input: [Float]) -> [Float] {
        let meanInput = BoxFilter.mean(input, width: width, height: height, radius: radius)
        var product = [Float](repeating: 0, count: input.count)
        for index in input.indices { product[index] = guide[index] * input[index] }
        let meanProduct = BoxFilter.mean(product, width: width, height: height, radius: radius)
        var a = [Float](repeating: 0, count: input.count), b = a
        for index in input.indices {
            let covariance = meanProduct[index] - meanGuide[index] * meanInput[index]
            a[index] = covariance / (varianceGuide[index] + epsilon)
            b[index] = meanInput[index] - a[index] * meanGuide[index]
        }
        let meanA = BoxFilter.mean(a, width: width, height: height, radius: radius)
        let meanB = BoxFilter.mean(b, width: width, height: height, radius: radius)
        var output = [Float](repeating: 0, count: input.count)
        for index in input.indices { output[index] = meanA[index] * guide[index] + meanB[index] }
        return output
    }
}

enum BoxFilter {
    /// The mean over the (2r+1)² window clipped to the image, by a summed-area table.
    static func mean(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        let stride = width + 1
        var table = [Double](repeating: 0, count: (width + 1) * (height + 1))
        for y in 0..<height {
            var row: Double = 0
            for x in 0..<width {
                row += Double(values[y * width + x])
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row
            }
        }
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let y0 = max(0, y - radius), y1 = min(height, y + radius + 1)
            for x in 0..<width {
                let x0 = max(0, x - radius), x1 = min(width, x + radius + 1)
                let sum = table[y1 * stride + x1] - table[y0 * stride + x1] - table[y1 * stride + x0] + table[y0 * stride + x0]
                out[y * width + x] = Float(sum / Double((y1 - y0) * (x1 - x0)))
            }
        }
        return out
    }
}
