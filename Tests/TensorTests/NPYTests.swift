// The .npy reader and writer: round trip, files written by NumPy, and typed errors.
import Foundation
import TestSupport
import Testing
@testable import Tensor

@Suite struct NPYTests {
    @Test func roundTripKeepsShapeAndValues() throws {
        var pattern = Pattern(seed: 9)
        let tensor = pattern.tensor([3, 5, 7])
        let bytes = NPY.encode(tensor)
        #expect((bytes.count - tensor.count * 4) % 64 == 0, "data starts on a 64-byte boundary")
        #expect(try NPY.decode(bytes, path: "memory") == tensor)
        let vector = try Tensor(shape: [4], storage: [1, 2, 3, 4])
        #expect(try NPY.decode(NPY.encode(vector), path: "memory") == vector)
    }

    @Test func readsWhatNumPyWritesAndNumPyReadsWhatWeWrite() throws {
        let directory = try TestSupport.temporaryDirectory()
        try Venv.runPython(["-c", """
            import numpy as np
            np.save('\(directory)/numpy.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8)
            np.save('\(directory)/doubles.npy', np.zeros(3))
            """])
        let tensor = try NPY.read(path: directory + "/numpy.npy")
        #expect(tensor.shape == [2, 3, 4])
        #expect(tensor.storage == (0..<24).map { Float($0) / 8 })
        #expect(throws: NPYError.unsupportedDType(path: directory + "/doubles.npy", dtype: "<f8")) {
            try NPY.read(path: directory + "/doubles.npy")
        }
        try NPY.write(tensor, to: directory + "/ours.npy")
        try Venv.runPython(["-c", """
            import numpy as np
            a = np.load('\(directory)/ours.npy')
            assert a.dtype == np.float32 and a.shape == (2, 3, 4), (a.dtype, a.shape)
            assert (a == np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8).all()
            """])
    }

    @Test func rejectsNonNPYAndTruncatedFiles() throws {
        #expect(throws: NPYError.notNPY(path: "x")) { try NPY.decode(Array("not an array".utf8), path: "x") }
        var bytes = NPY.encode(try Tensor(shape: [2, 2], storage: [1, 2, 3, 4]))
        bytes.removeLast(5)
        #expect(throws: NPYError.truncated(path: "x", expectedBytes: 16, actualBytes: 11)) { try NPY.decode(bytes, path: "x") }
    }

    /// Shapes whose element or byte count overflows an Int are a truncated file, not a trap.
    @Test(arguments: ["(2305843009213693952,)", "(4294967296, 4294967296)"])
    func rejectsShapesTooLargeToCount(shape: String) throws {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }\n"
        let bytes = NPY.magic + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0, 0, 0, 0]
        #expect(throws: NPYError.truncated(path: "x", expectedBytes: Int.max, actualBytes: 4)) { try NPY.decode(bytes, path: "x") }
    }
}
