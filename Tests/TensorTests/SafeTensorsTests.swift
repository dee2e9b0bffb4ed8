// The safetensors reader: dtype widening, and an error naming the tensor for each kind of
// bad file. Files are written here byte by byte, so each defect is exactly the one tested.
import Foundation
import Testing
@testable import Tensor

@Suite struct SafeTensorsTests {
    struct Item {
        let name: String, dtype: String, shape: [Int], bytes: [UInt8]
    }

    static func f32(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
    static func f16(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: Float16($0).bitPattern.littleEndian, Array.init) } }
    static func bf16(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: UInt16($0.bitPattern >> 16).littleEndian, Array.init) } }

    /// Writes a file; `dropLast` cuts bytes off the end, `header` replaces the JSON.
    static func write(_ items: [Item], dropLast: Int = 0, header override: String? = nil) throws -> String {
        var offset = 0
        var fields: [String] = []
        for item in items {
            fields.append(#""\#(item.name)":{"dtype":"\#(item.dtype)","shape":\#(item.shape),"data_offsets":[\#(offset),\#(offset + item.bytes.count)]}"#)
            offset += item.bytes.count
        }
        let header = Array((override ?? "{" + fields.joined(separator: ",") + "}").utf8)
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        bytes += items.flatMap(\.bytes)
        bytes.removeLast(dropLast)
        let path = try TestSupport.temporaryDirectory() + "/weights.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func widensF16AndBF16ToFloat32() throws {
        let values: [Float] = [1.5, -2.25, 0.0078125, 0, 96]
        let path = try Self.write([
            Item(name: "a", dtype: "F32", shape: [5], bytes: Self.f32(values)),
            Item(name: "b", dtype: "F16", shape: [1, 5], bytes: Self.f16(values)),
            Item(name: "c", dtype: "BF16", shape: [5, 1], bytes: Self.bf16(values)),
        ])
        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["a", "b", "c"])
        #expect(try file.tensor("a").storage == values)
        #expect(try file.tensor("b", shape: [1, 5]).storage == values)
        #expect(try file.tensor("c").shape == [5, 1])
        #expect(try file.tensor("c").storage == values)
    }

    @Test func missingTensorAndWrongShapeNameTheTensor() throws {
        let file = try SafeTensorsFile(path: try Self.write([Item(name: "w", dtype: "F32", shape: [2], bytes: Self.f32([1, 2]))]))
        #expect(throws: SafeTensorsError.missingTensor("layernorm.weight")) { try file.tensor("layernorm.weight") }
        #expect(throws: SafeTensorsError.wrongShape(tensor: "w", expected: [3], actual: [2])) { try file.tensor("w", shape: [3]) }
    }

    @Test func truncatedDataNamesTheTensorThatRunsPastTheEnd() throws {
        let path = try Self.write([Item(name: "first", dtype: "F32", shape: [2], bytes: Self.f32([1, 2])),
                                   Item(name: "second", dtype: "F32", shape: [2], bytes: Self.f32([3, 4]))],
                                  dropLast: 3)
        #expect(throws: SafeTensorsError.truncatedData(tensor: "second", needs: 16, fileHas: 13)) {
            try SafeTensorsFile(path: path)
        }
    }

    @Test func malformedFilesAreTypedErrors() throws {
        let tooShort = try TestSupport.temporaryDirectory() + "/short.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tooShort))
        #expect(throws: SafeTensorsError.truncatedHeader(path: tooShort, size: 3)) { try SafeTensorsFile(path: tooShort) }

        let notJSON = try Self.write([], header: "{not json")
        #expect {
            try SafeTensorsFile(path: notJSON)
        } throws: { error in
            if case .invalidHeader = error as? SafeTensorsError { return true } else { return false }
        }

        let integers = try Self.write([Item(name: "ids", dtype: "I32", shape: [1], bytes: [0, 0, 0, 0])])
        #expect(throws: SafeTensorsError.unsupportedDType(tensor: "ids", dtype: "I32")) { try SafeTensorsFile(path: integers) }

        let mismatch = try Self.write([Item(name: "w", dtype: "F32", shape: [3], bytes: Self.f32([1, 2]))])
        #expect(throws: SafeTensorsError.byteCountMismatch(tensor: "w", shape: [3], dtype: "F32", bytes: 8)) {
            try SafeTensorsFile(path: mismatch)
        }

        let absent = "/nonexistent/weights.safetensors"
        #expect {
            try SafeTensorsFile(path: absent)
        } throws: { error in
            if case .cannotOpen(let path, _) = error as? SafeTensorsError { return path == absent } else { return false }
        }
    }
}
