// bf16 and int8 against fp32 on the real backbone: per-token cosine of the matcher's layer
// (block 9) on 5 dev images at 224 and at the matcher's input size (448). Each model's
// precision is set here, not left to `auto`, so the bounds mean the same on every CPU.
import Foundation
import TestSupport
import Testing
@testable import Tensor

@Suite(.serialized) struct PrecisionTests {
    static let layer = BackboneLayer.block(9)

    static func model(_ precision: Precision) throws -> DINOv2 {
        var config = try ViTConfig.load(from: Repository.root.path + "/Config/models/dinov2-small.json")
        config.precision = precision
        return try DINOv2.load(config: config, weightsPath: ModelDirectory.path() + "/" + config.weights)
    }

    /// Mean and minimum per-token cosine of `precision`'s tokens against fp32's.
    static func cosines(_ precision: Precision, size: Int) throws -> (mean: Double, minimum: Double) {
        let reference = try model(.fp32), candidate = try model(precision)
        #expect(candidate.precision == precision)
        var all: [Double] = []
        for image in ParityTests.images {
            let input = try DevImageInput.load(Repository.shared.path + "/data/" + image, size: size, config: reference.config)
            let expected = try #require(try reference.forward(input, layers: [layer])[layer])
            let got = try #require(try candidate.forward(input, layers: [layer])[layer])
            all += rowCosines(got.storage, expected.storage, columns: 384)
        }
        let mean = all.reduce(0, +) / Double(all.count)
        print("\(precision) against fp32 at \(size), block 9, 5 dev images: per-token cosine mean \(mean), min \(all.min()!)")
        return (mean, all.min()!)
    }

    @Test(.enabled(if: Precision.bf16.isAvailable), arguments: [224, 448])
    func bf16TokensAgreeWithFP32(size: Int) throws {
        let (mean, minimum) = try Self.cosines(.bf16, size: size)
        #expect(mean >= 0.999)
        #expect(minimum >= 0.995)
    }

    @Test(.enabled(if: Precision.int8.isAvailable), arguments: [224, 448])
    func int8TokensAgreeWithFP32(size: Int) throws {
        let (mean, _) = try Self.cosines(.int8, size: size)
        #expect(mean >= 0.99)
    }

    /// int8's scales are each row's own, set by the worker that owns the row, and workers
    /// share the quantized buffer: a forward must not depend on the workers' timing.
    @Test(.enabled(if: Precision.int8.isAvailable)) func int8ForwardsRepeatExactly() throws {
        let model = try Self.model(.int8)
        let input = try DevImageInput.load(Repository.shared.path + "/data/" + ParityTests.images[0], size: 224, config: model.config)
        let first = try model.forward(input, layers: [Self.layer], workers: 2)
        for _ in 0..<3 { #expect(try model.forward(input, layers: [Self.layer], workers: 2) == first) }
    }

    /// A product on oneDNN's reference code is hundreds of times slower (int8's fused residual
    /// add was, below AVX-512): no product of a forward at a precision this CPU runs may use it.
    @Test func noProductOfAForwardRunsOnReferenceCode() throws {
        for precision in [Precision.fp32, .bf16, .int8] where precision.isAvailable {
            let model = try Self.model(precision)
            let input = try DevImageInput.load(Repository.shared.path + "/data/" + ParityTests.images[0], size: 224, config: model.config)
            _ = try model.forward(input, layers: [Self.layer], workers: 2)
        }
        let used = MatmulPrimitive.implementations
        #expect(!used.isEmpty)
        #expect(used.allSatisfy { !$0.hasPrefix("ref") }, "oneDNN implementations in use: \(used.sorted())")
    }

    /// A config asking for what this CPU cannot run fails to load, saying what to choose.
    @Test func aPrecisionThisCPUCannotRunIsRefusedAtLoad() throws {
        for precision in [Precision.bf16, .int8] {
            if precision.isAvailable {
                #expect(try Self.model(precision).precision == precision)
            } else {
                #expect(throws: ModelError.precisionUnavailable(precision, isa: PrecisionCheck.isa)) { try Self.model(precision) }
                #expect(ModelError.precisionUnavailable(precision, isa: PrecisionCheck.isa).description.contains("\"fp32\""))
            }
        }
    }

    @Test func autoIsBF16ExactlyWhereItIsNative() {
        #expect(Precision.auto.resolved == (OneDNN.nativeBF16 ? .bf16 : .fp32))
        #expect(Precision.allCases.allSatisfy { $0.resolved != .auto })
    }
}
