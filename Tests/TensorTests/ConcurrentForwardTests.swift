// Forwards beside other work (a server's inference workers, a pair's cost volume): a forward
// leaves OpenBLAS's process-wide thread count alone, whose products elsewhere would otherwise
// run on one thread with other float sums, and forwards at once give the tokens each gives alone.
import Dispatch
import Foundation
import Synchronization
import TestSupport
import Testing
@testable import Tensor

@Suite(.serialized) struct ConcurrentForwardTests {
    static let layer = BackboneLayer.block(9)

    static func model() throws -> (DINOv2, Tensor) {
        var config = try ViTConfig.load(from: Repository.root.path + "/Config/models/dinov2-small.json")
        config.precision = .fp32
        let model = try DINOv2.load(config: config, weightsPath: ModelDirectory.path() + "/" + config.weights)
        let input = try DevImageInput.load(Repository.shared.path + "/data/" + ParityTests.images[0], size: 448, config: config)
        return (model, input)
    }

    @Test func aForwardLeavesOpenBLASsThreadCountAlone() throws {
        let (model, input) = try Self.model()
        let configured = BLASThreads.configured
        #expect(BLASThreads.current == configured)
        let running = Atomic<Bool>(true)
        let forward = Thread {
            _ = try? model.forward(input, layers: [Self.layer])
            _ = try? model.forward(input, layers: [Self.layer])
            running.store(false, ordering: .sequentiallyConsistent)
        }
        forward.start()
        var samples = 0, lowered = 0
        while running.load(ordering: .sequentiallyConsistent) {
            samples += 1
            if BLASThreads.current != configured { lowered += 1 }
            usleep(200)
        }
        #expect(samples > 10)
        // A forward that held it at one did so in nearly every sample; decoder tests running
        // beside this one lower it for their tiny decoders' milliseconds only.
        #expect(lowered * 2 < samples, "OpenBLAS's count was not \(configured) in \(lowered) of \(samples) samples")
    }

    @Test func forwardsAtOnceGiveTheTokensOfOneAlone() throws {
        let (model, input) = try Self.model()
        let alone = try #require(try model.forward(input, layers: [Self.layer])[Self.layer]).storage
        let results = Mutex<[[Float]]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            for _ in 0..<2 {
                if let tokens = try? model.forward(input, layers: [Self.layer])[Self.layer] {
                    results.withLock { $0.append(tokens.storage) }
                }
            }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 4)
        #expect(all.allSatisfy { $0 == alone })
    }
}
