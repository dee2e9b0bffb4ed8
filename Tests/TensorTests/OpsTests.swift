// Every op of the engine against a naive loop on small shapes.
import Foundation
import Testing
@testable import Tensor

@Suite struct OpsTests {
    @Test(arguments: [false, true])
    func matmulMatchesTripleLoop(transposeB: Bool) throws {
        var pattern = Pattern(seed: 1)
        let (m, k, n) = (7, 13, 5)
        let a = pattern.tensor([m, k])
        let b = pattern.tensor(transposeB ? [n, k] : [k, n])
        let c = try Ops.matmul(a, b, transposeB: transposeB)
        #expect(c.shape == [m, n])
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k {
            expected[i * n + j] += a.storage[i * k + p] * (transposeB ? b.storage[j * k + p] : b.storage[p * n + j])
        } } }
        #expect(maxDifference(c.storage, expected) < 1e-5)
    }

    @Test func matmulRejectsMismatchedInnerSizes() {
        #expect(throws: TensorError.self) { try Ops.matmul(Tensor(zeros: [2, 3]), Tensor(zeros: [4, 2])) }
    }

    @Test func linearAppliesWeightInOutInLayoutAndBias() throws {
        var pattern = Pattern(seed: 2)
        let x = pattern.tensor([2, 3, 6])
        let weight = pattern.tensor([4, 6])
        let bias = pattern.tensor([4])
        let y = try Ops.linear(x, weight: weight, bias: bias)
        #expect(y.shape == [2, 3, 4])
        for row in 0..<6 { for o in 0..<4 {
            var sum = bias.storage[o]
            for i in 0..<6 { sum += x.storage[row * 6 + i] * weight.storage[o * 6 + i] }
            #expect(abs(y.storage[row * 4 + o] - sum) < 1e-5)
        } }
    }

    @Test func layerNormMatchesTwoPassFormula() throws {
        var pattern = Pattern(seed: 3)
        let (rows, columns) = (5, 19)
        // An offset row mean checks that the variance is taken around the mean.
        var x = pattern.tensor([rows, columns], scale: 3)
        for j in 0..<columns { x.storage[j] += 100 }
        let weight = pattern.tensor([columns]), bias = pattern.tensor([columns])
        let y = try Ops.layerNorm(x, weight: weight, bias: bias, eps: 1e-6)
        for r in 0..<rows {
            let values = x.storage[(r * columns)..<((r + 1) * columns)].map(Double.init)
            let mean = values.reduce(0, +) / Double(columns)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(columns)
            for j in 0..<columns {
                let expected = (values[j] - mean) / (variance + 1e-6).squareRoot() * Double(weight.storage[j]) + Double(bias.storage[j])
                #expect(abs(Double(y.storage[r * columns + j]) - expected) < 2e-5)
            }
        }
    }

    @Test func geluIsTheErfForm() {
        let values = (0..<203).map { Float($0 - 101) / 10 }
        let y = Ops.gelu(try! Tensor(shape: [values.count], storage: values))
        for (x, got) in zip(values, y.storage) {
            let expected = Double(x) * 0.5 * (1 + erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(got) - expected) < 2e-6, "gelu(\(x))")
        }
    }

    @Test func vectorisedExpAndErfMatchLibm() {
        let xs = (0..<8_001).map { Float($0 - 4_000) / 50 }  // −80 … 80
        var i = 0
        while i + 8 <= xs.count {
            let lanes = Lanes(xs[i..<(i + 8)])
            let e = FastMath.exp(lanes), r = FastMath.erf(lanes / 8)
            for j in 0..<8 {
                let x = xs[i + j]
                #expect(abs(e[j] - Foundation.exp(x)) <= 3e-7 * Foundation.exp(x), "exp(\(x))")
                // A&S 7.1.28 is within 3e-7 exactly; in float the 16th power magnifies the
                // rounding of p sixteenfold, to about 1.3e-6 at worst.
                #expect(abs(r[j] - Foundation.erf(x / 8)) <= 1.5e-6, "erf(\(x / 8))")
            }
            i += 8
        }
    }

    @Test func softmaxRowsSumToOneAndMatchNaive() {
        var pattern = Pattern(seed: 4)
        let (rows, columns) = (3, 21)  // not a multiple of the vector width
        let x = pattern.tensor([rows, columns], scale: 20)
        let y = Ops.softmax(x)
        for r in 0..<rows {
            let values = x.storage[(r * columns)..<((r + 1) * columns)].map(Double.init)
            let maximum = values.max()!
            let total = values.map { exp($0 - maximum) }.reduce(0, +)
            for j in 0..<columns {
                #expect(abs(Double(y.storage[r * columns + j]) - exp(values[j] - maximum) / total) < 1e-6)
            }
        }
    }

    @Test func addWithPerChannelScale() throws {
        var pattern = Pattern(seed: 5)
        let a = pattern.tensor([3, 4]), b = pattern.tensor([3, 4]), scale = pattern.tensor([4])
        let y = try Ops.add(a, b, scale: scale)
        for i in 0..<12 {
            #expect(abs(y.storage[i] - (a.storage[i] + b.storage[i] * scale.storage[i % 4])) < 1e-6)
        }
        let plain = try Ops.add(a, b)
        #expect(maxDifference(plain.storage, zip(a.storage, b.storage).map(+)) == 0)
        #expect(throws: TensorError.self) { try Ops.add(a, Tensor(zeros: [4, 3])) }
    }

    @Test(arguments: [1, 2, 3])
    func attentionMatchesNaiveHeads(workers: Int) throws {
        var pattern = Pattern(seed: 6)
        let (tokens, width, heads) = (11, 12, 3)
        let qkv = pattern.tensor([tokens, 3 * width], scale: 2)
        let out = try Ops.attention(qkv: qkv, heads: heads, workers: workers)
        let d = width / heads
        let q = { (t: Int, j: Int) in Double(qkv.storage[t * 3 * width + j]) }
        for h in 0..<heads {
            for t in 0..<tokens {
                var scores = (0..<tokens).map { s in
                    (0..<d).reduce(0.0) { $0 + q(t, h * d + $1) * q(s, width + h * d + $1) } / Double(d).squareRoot()
                }
                let maximum = scores.max()!
                scores = scores.map { exp($0 - maximum) }
                let total = scores.reduce(0, +)
                for j in 0..<d {
                    let expected = (0..<tokens).reduce(0.0) { $0 + scores[$1] / total * q($1, 2 * width + h * d + j) }
                    #expect(abs(Double(out.storage[t * width + h * d + j]) - expected) < 1e-5)
                }
            }
        }
    }

    @Test func patchEmbeddingIsAStridedConvolution() throws {
        var pattern = Pattern(seed: 7)
        let (p, out, height, width) = (3, 5, 6, 9)
        let image = pattern.tensor([3, height, width])
        let weight = pattern.tensor([out, 3, p, p]), bias = pattern.tensor([out])
        let y = try Ops.patchEmbedding(image, weight: weight, bias: bias)
        #expect(y.shape == [(height / p) * (width / p), out])
        for py in 0..<(height / p) { for px in 0..<(width / p) { for o in 0..<out {
            var sum = bias.storage[o]
            for c in 0..<3 { for ky in 0..<p { for kx in 0..<p {
                sum += image.storage[(c * height + py * p + ky) * width + px * p + kx]
                    * weight.storage[((o * 3 + c) * p + ky) * p + kx]
            } } }
            #expect(abs(y.storage[(py * (width / p) + px) * out + o] - sum) < 1e-5)
        } } }
        #expect(throws: TensorError.self) { try Ops.patchEmbedding(Tensor(zeros: [3, 7, 9]), weight: weight, bias: bias) }
    }

    @Test func bicubicResizeMatchesCubicConvolution() throws {
        var pattern = Pattern(seed: 8)
        let grid = pattern.tensor([4, 5, 2])
        for (height, width) in [(7, 3), (4, 5), (2, 9)] {
            let y = try Ops.bicubicResize(grid, height: height, width: width)
            for oy in 0..<height { for ox in 0..<width { for c in 0..<2 {
                var expected = 0.0
                for (iy, wy) in cubicTaps(out: oy, inSize: 4, outSize: height) {
                    for (ix, wx) in cubicTaps(out: ox, inSize: 5, outSize: width) {
                        expected += wy * wx * Double(grid.storage[(iy * 5 + ix) * 2 + c])
                    }
                }
                #expect(abs(Double(y.storage[(oy * width + ox) * 2 + c]) - expected) < 1e-5)
            } } }
        }
        // Same size: the identity (half-pixel centres land on the samples).
        #expect(maxDifference(try Ops.bicubicResize(grid, height: 4, width: 5).storage, grid.storage) < 1e-6)
    }

    /// Keys's cubic convolution kernel (a = −0.75) on half-pixel centres, edge-clamped taps.
    private func cubicTaps(out: Int, inSize: Int, outSize: Int) -> [(Int, Double)] {
        let a = -0.75
        let x = (Double(out) + 0.5) * Double(inSize) / Double(outSize) - 0.5
        let base = Int(x.rounded(.down))
        return (-1...2).map { offset in
            let d = abs(Double(base + offset) - x)
            let w = d <= 1 ? ((a + 2) * d - (a + 3)) * d * d + 1 : ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
            return (min(max(base + offset, 0), inSize - 1), w)
        }
    }
}

@Suite struct EmptyTensorTests {
    @Test func opsOnEmptyTensorsReturnEmptyResultsWithoutTouchingMemory() throws {
        #expect(try Ops.matmul(Tensor(zeros: [0, 3]), Tensor(zeros: [3, 2])).shape == [0, 2])
        #expect(try Ops.linear(Tensor(zeros: [0, 4]), weight: Tensor(zeros: [2, 4]), bias: nil).shape == [0, 2])
        #expect(try Ops.layerNorm(Tensor(zeros: [0, 4]), weight: Tensor(zeros: [4]), bias: Tensor(zeros: [4]), eps: 1e-6).count == 0)
        #expect(Ops.gelu(Tensor(zeros: [0])).count == 0)
        #expect(Ops.softmax(Tensor(zeros: [2, 0])).count == 0)
        #expect(try Ops.attention(qkv: Tensor(zeros: [0, 12]), heads: 2).shape == [0, 4])
        #expect(throws: TensorError.self) {
            try Ops.patchEmbedding(Tensor(zeros: [3, 0, 4]), weight: Tensor(zeros: [2, 3, 2, 2]), bias: Tensor(zeros: [2]))
        }
    }
}
