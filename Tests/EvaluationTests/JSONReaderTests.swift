// The pull tokenizer: exact numbers, escapes, every token split across buffer refills,
// strict rejection of malformed input, and a seeded differential fuzz against Foundation.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

/// A JSON value read through JSONReader's API, for comparing documents.
indirect enum Tree: Equatable {
    case object([(String, Tree)]), array([Tree]), string(String), number(Double), bool(Bool), null

    static func == (lhs: Tree, rhs: Tree) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    static func read(_ reader: JSONReader) throws -> Tree {
        switch try reader.peekKind() {
        case .object:
            _ = try reader.enterObject()
            var members: [(String, Tree)] = []
            var first = true
            while try reader.nextMember(&first) {
                let key = try reader.lastString()
                members.append((key, try read(reader)))
            }
            return .object(members)
        case .array:
            _ = try reader.enterArray()
            var elements: [Tree] = []
            var first = true
            while try reader.nextElement(&first) { elements.append(try read(reader)) }
            return .array(elements)
        case .string: return .string(try reader.readString()!)
        case .number: return .number(try reader.readNumber()!)
        case .bool: return .bool(try reader.readBool()!)
        case .null: _ = try reader.readNull(); return .null
        }
    }

    var allNumbersFinite: Bool {
        switch self {
        case .object(let members): return members.allSatisfy { $0.1.allNumbersFinite }
        case .array(let elements): return elements.allSatisfy(\.allNumbersFinite)
        case .number(let value): return value.isFinite
        default: return true
        }
    }

    static func parse(_ text: String, chunk: Int = .max, bufferSize: Int = 16) throws -> Tree {
        let reader = JSONReader(source: MemoryByteSource(Array(text.utf8), chunk: chunk), bufferSize: bufferSize)
        let tree = try read(reader)
        try reader.finish()
        return tree
    }

    func serialized<G: RandomNumberGenerator>(_ random: inout G) -> String {
        let space = [" ", "", "\n", "\t", "  "].randomElement(using: &random)!
        switch self {
        case .object(let members):
            return "{" + members.map { "\(space)\(Tree.string($0.0).serialized(&random)):\(space)\($0.1.serialized(&random))" }.joined(separator: ",") + "}"
        case .array(let elements):
            return "[" + elements.map { space + $0.serialized(&random) }.joined(separator: ",") + "]"
        case .string(let text):
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case _ where scalar.value < 0x20 || (scalar.value > 0x7F && Bool.random(using: &random)):
                    out += String(scalar).utf16.map { "\\u" + String(format: "%04X", $0) }.joined()
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        case .number(let value): return "\(value)"
        case .bool(let value): return "\(value)"
        case .null: return "null"
        }
    }

    static func random<G: RandomNumberGenerator>(_ random: inout G, depth: Int = 0) -> Tree {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &random) {
        case 0: return .string(String((0..<Int.random(in: 0...6, using: &random)).map { _ in
            ["a", "é", "\"", "\\", "\n", "😀", "\u{1}", "x", "/"].randomElement(using: &random)! }))
        case 1: return .number([0, -0.5, 1e-7, 12345.678, 1e300, Double.random(in: -1e6...1e6, using: &random)].randomElement(using: &random)!)
        case 2: return .bool(Bool.random(using: &random))
        case 3: return .null
        case 4: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in Tree.random(&random, depth: depth + 1) })
        default: return .object((0..<Int.random(in: 0...4, using: &random)).map { index in ("k\(index)", Tree.random(&random, depth: depth + 1)) })
        }
    }
}

@Suite struct JSONReaderTests {
    @Test func numbersAreCorrectlyRounded() throws {
        let literals = ["0", "-0", "1", "-1", "0.05", "0.1", "0.15", "1.00", "312.5", "88.0", "280.79", "1e2", "1E-2",
                        "123456789012345678901234567890", "0.1000000000000000055511151231257827",
                        "9007199254740993", "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
                        "0.000000000000000000000000000001", "1e22", "1e23", "-12.75e-3", "3.0e+2"]
        for literal in literals {
            let value = try #require(try JSONReader(source: MemoryByteSource(Array(literal.utf8))).readNumber())
            #expect(value == Double(literal)!, "\(literal)")
            #expect(value.sign == Double(literal)!.sign, "\(literal)")
            guard case .array(let elements) = try Tree.parse("[\(literal), 1]", bufferSize: 4096), case .number(let inPlace) = elements[0] else {
                Issue.record("\(literal)")
                continue
            }
            #expect(inPlace == Double(literal)! && inPlace.sign == Double(literal)!.sign, "\(literal) in place")
        }
        var random = SplitMix64(seed: 99)
        for _ in 0..<5_000 {
            let value = Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random(using: &random) ? 1 : -1)
            let forms = ["\(value)", String(format: "%.17g", value), String(format: "%.3f", Double.random(in: -5000...5000, using: &random)),
                         String(format: "%.6e", value), "\(Int.random(in: -1_000_000...1_000_000, using: &random))"]
            for literal in forms where !literal.contains("inf") && !literal.contains("nan") {
                let text = literal.replacingOccurrences(of: "e+", with: "e")
                let parsed = try JSONReader(source: MemoryByteSource(Array(text.utf8), chunk: 3)).readNumber()
                #expect(parsed == Double(text)!, "\(text)")
                // Followed by a terminator inside the buffer: the in-place fast path.
                #expect(try Tree.parse("[\(text)]", bufferSize: 4096) == .array([.number(Double(text)!)]), "\(text)")
            }
        }
    }

    @Test func overflowingNumbersReadAsInfinity() throws {
        let value = try JSONReader(source: MemoryByteSource(Array("1e400".utf8))).readNumber()
        #expect(value == .infinity)
    }

    @Test func escapesDecode() throws {
        let tree = try Tree.parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00", "plain é"]"#)
        #expect(tree == .array([.string("a\"b\\c/d\u{8}\u{c}\n\r\t"), .string("é😀"), .string("plain é")]))
    }

    @Test func everyChunkSizeGivesTheSameTree() throws {
        let text = #"{"format": "misc-predictions/v1", "pairs": [{"pair": "p-1", "matches": [{"x": 312.5, "y": -88e-1, "ok": true, "n": null}]}], "s": "\u00e9x"}"#
        let whole = try Tree.parse(text)
        for chunk in 1...12 { #expect(try Tree.parse(text, chunk: chunk) == whole, "chunk \(chunk)") }
    }

    @Test(arguments: [
        #"{"a":}"#, "[1,]", "01", "1.", "-", "1e", "1e+", ".5", "+1", #""\x""#, #""abc"#, "[1 2]", #"{"a" 1}"#, "tru", "nul",
        #""\ud800""#, #""\udc00x""#, "\"a\u{1}b\"", "{} x", "[", "{", "", "  ", #"{"a":1,}"#, #"{1:2}"#, "[-]", "--1",
        "[1,,2]", #"{"a":1 "b":2}"#, "NaN", "Infinity", "[01]", #""\u12G4""#,
    ])
    func malformedInputIsRejected(_ text: String) {
        for chunk in [1, 1000] {
            #expect(throws: JSONSyntaxError.self, "\(text)") { _ = try Tree.parse(text, chunk: chunk) }
        }
    }

    @Test func skipValueChecksSyntaxAndDepth() throws {
        let reader = JSONReader(source: MemoryByteSource(Array(#"[{"a": [1, {"b": null}], "c": "d"}, 2] 7"#.utf8), chunk: 2))
        try reader.skipValue()
        #expect(try reader.readNumber() == 7)
        let deep = String(repeating: "[", count: JSONReader.maximumDepth + 1) + String(repeating: "]", count: JSONReader.maximumDepth + 1)
        #expect(throws: JSONSyntaxError.self) { try JSONReader(source: MemoryByteSource(Array(deep.utf8))).skipValue() }
        #expect(throws: JSONSyntaxError.self) { try JSONReader(source: MemoryByteSource(Array("[1, {\"a\" 2}]".utf8))).skipValue() }
    }

    /// `"aaaa…` without end: the reader must stop at its string limit, not exhaust memory.
    final class EndlessString: ByteSource {
        var started = false
        func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
            buffer.update(repeating: UInt8(ascii: "a"), count: capacity)
            if !started { buffer[0] = UInt8(ascii: "\""); started = true }
            return capacity
        }
    }

    @Test func endlessStringsStopAtTheLimit() {
        #expect(throws: JSONSyntaxError.self) { _ = try JSONReader(source: EndlessString()).readString() }
    }

    @Test func offsetsPointAtTheProblem() {
        do {
            _ = try Tree.parse("[1, 2, x]", chunk: 2)
            Issue.record("accepted")
        } catch let error as JSONSyntaxError {
            #expect(error.offset == 7)
        } catch {
            Issue.record("\(error)")
        }
    }

    /// Random documents written with random spacing read back identical; random byte edits
    /// of them are accepted exactly when Foundation's parser accepts them, and never crash.
    @Test func differentialFuzzAgainstFoundation() throws {
        var random = SplitMix64(seed: 1234)
        let alphabet = Array(#"{}[]:,"\ 0123456789.-+eEtrufalsn/u"#.utf8)
        var agreed = 0
        for round in 0..<20_000 {
            let tree = Tree.random(&random)
            let text = tree.serialized(&random)
            #expect(try Tree.parse(text, chunk: Int.random(in: 1...9, using: &random)) == tree, "round \(round): \(text)")
            var bytes = Array(text.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where position < bytes.count: bytes[position] = alphabet.randomElement(using: &random)!
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                }
            }
            guard let mutated = String(validating: bytes, as: UTF8.self) else { continue }
            let ours: Bool
            do {
                // Foundation rejects literals beyond Double's range; the reader reads them as
                // infinities, which every field check then rejects as not finite.
                ours = try Tree.parse(mutated, chunk: Int.random(in: 1...9, using: &random)).allNumbersFinite
            } catch is JSONSyntaxError {
                ours = false
            }
            // Foundation accepts a trailing comma (`[1,]`), which RFC 8259 does not.
            if mutated.range(of: #",\s*[\]}]"#, options: .regularExpression) != nil { continue }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil
            #expect(ours == foundation, "round \(round): \(mutated)")
            agreed += 1
        }
        #expect(agreed > 15_000)
    }
}
