// The RGB-to-tensor layout: channel-first planes, each normalised with its own mean and std.
import Testing
@testable import Tensor

@Suite struct ImageInputTests {
    @Test func planesAreNormalisedPerChannel() throws {
        // 2x1 image: pixel 0 = (0, 51, 255), pixel 1 = (255, 102, 0).
        let tensor = try Tensor(normalisingRGB: [0, 51, 255, 255, 102, 0], width: 2, height: 1,
                                mean: [0.5, 0.2, 0], std: [0.5, 0.1, 2])
        #expect(tensor.shape == [3, 1, 2])
        let expected: [Float] = [-1, 1, 0, 2, 0.5, 0]
        for (value, target) in zip(tensor.storage, expected) { #expect(abs(value - target) < 1e-6) }
    }

    @Test func wrongByteCountIsAnError() {
        #expect(throws: TensorError.self) {
            try Tensor(normalisingRGB: [1, 2, 3], width: 2, height: 1, mean: [0, 0, 0], std: [1, 1, 1])
        }
    }
}
