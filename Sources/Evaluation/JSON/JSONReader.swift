// A pull tokenizer over a ByteSource: the caller walks the document value by value, so a
// file of any size is read through one fixed buffer with no per-value allocation.

/// Malformed JSON, with the byte offset (from the start of the document) where it shows.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// The kind of the next value, named as a user reads it in an error message.
public enum JSONValueKind: String, Sendable {
    case object = "an object", array = "an array", string = "a string", number = "a number"
    case bool = "a boolean", null = "null"
}

public final class JSONReader {
    private let source: ByteSource
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// The mutable state lives behind a pointer: stored `var`s of a class pay a dynamic
    /// exclusivity check on every access, which showed in profiles of the byte loops.
    private struct State {
        var position = 0
        var end = 0
        /// Stream offset of `buffer[0]`.
        var base = 0
        var exhausted = false
        /// The bytes of the last string read (escapes decoded).
        var string: UnsafeMutablePointer<UInt8>
        var stringCount = 0
        var stringCapacity: Int
    }
    private let state: UnsafeMutablePointer<State>

    private var position: Int {
        @inline(__always) get { state.pointee.position }
        @inline(__always) set { state.pointee.position = newValue }
    }
    private var end: Int {
        @inline(__always) get { state.pointee.end }
        @inline(__always) set { state.pointee.end = newValue }
    }

    /// The bytes of the last member name or string read (escapes decoded); valid until the
    /// next read.
    public var stringBytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: state.pointee.string, count: state.pointee.stringCount)
    }
    private let number: UnsafeMutablePointer<CChar>
    private static let numberCapacity = 1024
    /// Deepest nesting `skipValue` accepts, so hostile input cannot exhaust memory.
    public static let maximumDepth = 512
    /// Longest string accepted (a compressed RLE of a large image is well under this).
    public static let maximumStringLength = 64 << 20

    public init(source: ByteSource, bufferSize: Int = 1 << 20) {
        self.source = source
        capacity = max(16, bufferSize)
        buffer = .allocate(capacity: capacity)
        number = .allocate(capacity: Self.numberCapacity + 1)
        state = .allocate(capacity: 1)
        state.initialize(to: State(string: .allocate(capacity: 256), stringCapacity: 256))
    }

    deinit {
        buffer.deallocate()
        number.deallocate()
        state.pointee.string.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    @inline(__always) private func appendString(_ byte: UInt8) {
        if state.pointee.stringCount == state.pointee.stringCapacity { growString(by: 1) }
        state.pointee.string[state.pointee.stringCount] = byte
        state.pointee.stringCount += 1
    }

    @inline(__always) private func appendString(_ bytes: UnsafePointer<UInt8>, count: Int) {
        if state.pointee.stringCount + count > state.pointee.stringCapacity { growString(by: count) }
        (state.pointee.string + state.pointee.stringCount).update(from: bytes, count: count)
        state.pointee.stringCount += count
    }

    private func growString(by count: Int) {
        let capacity = max(state.pointee.stringCapacity * 2, state.pointee.stringCount + count)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: state.pointee.string, count: state.pointee.stringCount)
        state.pointee.string.deallocate()
        state.pointee.string = grown
        state.pointee.stringCapacity = capacity
    }

    /// Bytes consumed so far: where the next token starts, for error messages.
    public var offset: Int { state.pointee.base + position }

    func syntaxError(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset, message: message)
    }

    // MARK: bytes

    /// Refills when the buffer is spent; false at the end of the stream.
    @inline(__always) private func ensureByte() throws -> Bool {
        if position < end { return true }
        return try refill()
    }

    private func refill() throws -> Bool {
        if state.pointee.exhausted { return false }
        state.pointee.base += end
        position = 0
        end = try source.read(into: buffer, capacity: capacity)
        if end == 0 { state.pointee.exhausted = true }
        return end > 0
    }

    /// The next byte that is not whitespace, left unconsumed; nil at the end.
    @inline(__always) private func peekSignificant() throws -> UInt8? {
        while true {
            while position < end {
                let byte = buffer[position]
                if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                    position += 1
                } else {
                    return byte
                }
            }
            if try !refill() { return nil }
        }
    }

    private func expectSignificant(_ wanted: UInt8, _ what: String) throws {
        guard let byte = try peekSignificant() else { throw syntaxError("unexpected end, expected \(what)") }
        guard byte == wanted else { throw syntaxError("expected \(what), found \(describe(byte))") }
        position += 1
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(UnicodeScalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    // MARK: kinds

    /// The kind of the next value; throws at the end of input or on a byte no value starts with.
    public func peekKind() throws -> JSONValueKind {
        guard let byte = try peekSignificant() else { throw syntaxError("unexpected end, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw syntaxError("expected a value, found \(describe(byte))")
        }
    }

    // MARK: containers

    /// Consumes `{` and returns true, or returns false (consuming nothing) for another kind.
    public func enterObject() throws -> Bool {
        guard try peekKind() == .object else { return false }
        position += 1
        return true
    }

    /// Consumes `[` and returns true, or returns false (consuming nothing) for another kind.
    public func enterArray() throws -> Bool {
        guard try peekKind() == .array else { return false }
        position += 1
        return true
    }

    /// Advances to the next member of the object just entered: reads its key into
    /// `stringBytes` and consumes the colon. False (and `}` consumed) when the object ends.
    public func nextMember(_ first: inout Bool) throws -> Bool {
        guard let byte = try peekSignificant() else { throw syntaxError("unexpected end inside an object") }
        if byte == UInt8(ascii: "}") {
            position += 1
            return false
        }
        if first {
            first = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw syntaxError("expected ',' or '}', found \(describe(byte))") }
            position += 1
            guard try peekSignificant() != nil else { throw syntaxError("unexpected end inside an object") }
        }
        guard buffer[position] == UInt8(ascii: "\"") else {
            throw syntaxError("expected a member name, found \(describe(buffer[position]))")
        }
        try scanString()
        try expectSignificant(UInt8(ascii: ":"), "':'")
        return true
    }

    /// Advances to the next element of the array just entered; false (and `]` consumed) at its end.
    public func nextElement(_ first: inout Bool) throws -> Bool {
        guard let byte = try peekSignificant() else { throw syntaxError("unexpected end inside an array") }
        if byte == UInt8(ascii: "]") {
            position += 1
            return false
        }
        if first {
            first = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw syntaxError("expected ',' or ']', found \(describe(byte))") }
            position += 1
        }
        return true
    }

    /// Whether the last member name or string read equals `literal`.
    @inline(__always) public func stringIs(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard state.pointee.stringCount == count else { return false }
        return memcmp(state.pointee.string, literal.utf8Start, count) == 0
    }

    // MARK: scalars

    /// Reads a string value into `stringBytes`; false (consuming nothing) for another kind.
    public func readStringBytes() throws -> Bool {
        guard try peekKind() == .string else { return false }
        try scanString()
        return true
    }

    /// Reads a string value; nil (consuming nothing) for another kind.
    public func readString() throws -> String? {
        guard try readStringBytes() else { return nil }
        return try lastString()
    }

    /// `stringBytes` as a String; throws when they are not UTF-8.
    public func lastString() throws -> String {
        guard let text = String(validating: stringBytes, as: UTF8.self) else {
            throw syntaxError("a string that is not valid UTF-8")
        }
        return text
    }

    /// Reads a number; nil (consuming nothing) for another kind. A literal too large for a
    /// Double reads as an infinity, which callers reject as not finite.
    public func readNumber() throws -> Double? {
        guard try peekKind() == .number else { return nil }
        return try scanNumber()
    }

    /// Reads `null`; false (consuming nothing) for another kind.
    public func readNull() throws -> Bool {
        guard try peekKind() == .null else { return false }
        try scanLiteral("null")
        return true
    }

    /// Reads `true` or `false`; nil (consuming nothing) for another kind.
    public func readBool() throws -> Bool? {
        guard try peekKind() == .bool else { return nil }
        if buffer[position] == UInt8(ascii: "t") {
            try scanLiteral("true")
            return true
        }
        try scanLiteral("false")
        return false
    }

    /// Reads and discards one whole value, checking its syntax.
    public func skipValue() throws {
        // Open containers as a stack of closing bytes; no recursion.
        var stack: [UInt8] = []
        var first = true
        repeat {
            if let closing = stack.last {
                let more = closing == UInt8(ascii: "}") ? try nextMember(&first) : try nextElement(&first)
                if !more {
                    stack.removeLast()
                    first = false
                    continue
                }
            }
            switch try peekKind() {
            case .object, .array:
                guard stack.count < Self.maximumDepth else { throw syntaxError("nesting deeper than \(Self.maximumDepth)") }
                stack.append(buffer[position] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                position += 1
                first = true
            case .string: try scanString()
            case .number: _ = try scanNumber()
            case .bool: _ = try readBool()
            case .null: _ = try readNull()
            }
        } while !stack.isEmpty
    }

    /// Checks that nothing but whitespace follows the document.
    public func finish() throws {
        if let byte = try peekSignificant() { throw syntaxError("unexpected \(describe(byte)) after the document") }
    }

    // MARK: scanning

    private func scanLiteral(_ literal: StaticString) throws {
        var pointer = literal.utf8Start
        for _ in 0..<literal.utf8CodeUnitCount {
            guard try ensureByte(), buffer[position] == pointer.pointee else {
                throw syntaxError("invalid literal, expected \(literal)")
            }
            position += 1
            pointer += 1
        }
    }

    /// Reads the string at `position` (an opening quote) into `stringBytes`.
    private func scanString() throws {
        position += 1
        state.pointee.stringCount = 0
        while true {
            guard try ensureByte() else { throw syntaxError("unexpected end inside a string") }
            // Copy the plain run in one go.
            let start = position
            var index = position
            while index < end {
                let byte = buffer[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                index += 1
            }
            if index > start {
                guard state.pointee.stringCount + (index - start) <= Self.maximumStringLength else {
                    throw syntaxError("a string longer than \(Self.maximumStringLength) bytes")
                }
                appendString(buffer + start, count: index - start)
                position = index
            }
            guard position < end else { continue }
            let byte = buffer[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return
            }
            if byte < 0x20 { throw syntaxError("control character \(describe(byte)) inside a string") }
            guard state.pointee.stringCount < Self.maximumStringLength else {
                throw syntaxError("a string longer than \(Self.maximumStringLength) bytes")
            }
            position += 1
            try scanEscape()
        }
    }

    private func nextStringByte() throws -> UInt8 {
        guard try ensureByte() else { throw syntaxError("unexpected end inside a string") }
        let byte = buffer[position]
        position += 1
        return byte
    }

    private func scanEscape() throws {
        let byte = try nextStringByte()
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): appendString(byte)
        case UInt8(ascii: "b"): appendString(0x08)
        case UInt8(ascii: "f"): appendString(0x0C)
        case UInt8(ascii: "n"): appendString(0x0A)
        case UInt8(ascii: "r"): appendString(0x0D)
        case UInt8(ascii: "t"): appendString(0x09)
        case UInt8(ascii: "u"):
            var scalar = try scanHex4()
            if scalar >= 0xD800 && scalar < 0xDC00 {
                // A high surrogate must be followed by an escaped low surrogate.
                guard try nextStringByte() == UInt8(ascii: "\\"), try nextStringByte() == UInt8(ascii: "u") else {
                    throw syntaxError("unpaired UTF-16 surrogate in a \\u escape")
                }
                let low = try scanHex4()
                guard low >= 0xDC00 && low < 0xE000 else { throw syntaxError("unpaired UTF-16 surrogate in a \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar < 0xE000 {
                throw syntaxError("unpaired UTF-16 surrogate in a \\u escape")
            }
            appendUTF8(scalar)
        default:
            throw syntaxError("invalid escape \\\(describe(byte))")
        }
    }

    private func scanHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = try nextStringByte()
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw syntaxError("invalid hex digit \(describe(byte)) in a \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            appendString(UInt8(scalar))
        case 0x80..<0x800:
            appendString(UInt8(0xC0 | scalar >> 6))
            appendString(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            appendString(UInt8(0xE0 | scalar >> 12))
            appendString(UInt8(0x80 | scalar >> 6 & 0x3F))
            appendString(UInt8(0x80 | scalar & 0x3F))
        default:
            appendString(UInt8(0xF0 | scalar >> 18))
            appendString(UInt8(0x80 | scalar >> 12 & 0x3F))
            appendString(UInt8(0x80 | scalar >> 6 & 0x3F))
            appendString(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Reads the number at `position`, checking the JSON grammar
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private func scanNumber() throws -> Double {
        if let value = scanPlainNumberInBuffer() { return value }
        return try scanAnyNumber()
    }

    /// The common case, parsed in place: `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 19
    /// significant digits, wholly inside the buffer, value exact by Clinger's fast path.
    /// nil (nothing consumed) for anything else, which the general scanner then handles.
    @inline(__always) private func scanPlainNumberInBuffer() -> Double? {
        var index = position
        let limit = end
        @inline(__always) func digit(_ at: Int) -> UInt64? {
            let byte = buffer[at] &- UInt8(ascii: "0")
            return byte < 10 ? UInt64(byte) : nil
        }
        let negative = buffer[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < limit, let first = digit(index) else { return nil }
        var significand = first
        var digits = first == 0 ? 0 : 1
        index += 1
        if first != 0 {
            while index < limit, let next = digit(index) {
                significand = significand &* 10 &+ next
                digits += 1
                index += 1
            }
        }
        var fractionDigits = 0
        if index < limit && buffer[index] == UInt8(ascii: ".") {
            index += 1
            while index < limit, let next = digit(index) {
                significand = significand &* 10 &+ next
                if significand != 0 { digits += 1 }
                fractionDigits += 1
                index += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        // The terminator must be in the buffer and must not continue the number.
        guard index < limit, digits <= 19, fractionDigits <= 22, significand <= 1 << 53 else { return nil }
        let terminator = buffer[index]
        guard terminator != UInt8(ascii: "e") && terminator != UInt8(ascii: "E") && terminator != UInt8(ascii: ".")
                && digit(index) == nil else { return nil }
        position = index
        let value = Double(significand) / Self.powersOfTen[fractionDigits]
        return negative ? -value : value
    }

    private func scanAnyNumber() throws -> Double {
        var length = 0
        // Decimal significand (first 19 significant digits) and its power of ten, for the
        // exact fast path; anything else goes to strtod.
        var significand: UInt64 = 0
        var significantDigits = 0
        var droppedDigits = false
        var decimalExponent = 0
        var exponent = 0
        var exponentNegative = false
        var negative = false
        var state = NumberState.start

        func take(_ byte: UInt8) throws {
            guard length < Self.numberCapacity else { throw syntaxError("number longer than \(Self.numberCapacity) characters") }
            number[length] = CChar(bitPattern: byte)
            length += 1
            position += 1
        }
        func addDigit(_ byte: UInt8, fraction: Bool) {
            let digit = UInt64(byte &- UInt8(ascii: "0"))
            if significantDigits == 0 && digit == 0 {
                if fraction { decimalExponent -= 1 }
                return
            }
            if significantDigits < 19 {
                significand = significand &* 10 &+ digit
                significantDigits += 1
                if fraction { decimalExponent -= 1 }
            } else {
                if digit != 0 { droppedDigits = true }
                if !fraction { decimalExponent += 1 }
            }
        }

        scan: while true {
            let byte: UInt8 = try ensureByte() ? buffer[position] : 0
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            switch state {
            case .start:
                if byte == UInt8(ascii: "-") { negative = true; try take(byte); state = .afterSign }
                else { state = .afterSign }
            case .afterSign:
                guard isDigit else { throw syntaxError("a number needs a digit after '-'") }
                try take(byte)
                addDigit(byte, fraction: false)
                state = byte == UInt8(ascii: "0") ? .afterLeadingZero : .integer
            case .integer, .afterLeadingZero:
                if isDigit {
                    guard state == .integer else { throw syntaxError("a number with a leading zero") }
                    try take(byte)
                    addDigit(byte, fraction: false)
                } else if byte == UInt8(ascii: ".") {
                    try take(byte); state = .afterPoint
                } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                    try take(byte); state = .afterE
                } else { break scan }
            case .afterPoint:
                guard isDigit else { throw syntaxError("a number needs a digit after '.'") }
                try take(byte); addDigit(byte, fraction: true); state = .fraction
            case .fraction:
                if isDigit { try take(byte); addDigit(byte, fraction: true) }
                else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { try take(byte); state = .afterE }
                else { break scan }
            case .afterE:
                if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                    exponentNegative = byte == UInt8(ascii: "-")
                    try take(byte); state = .afterExponentSign
                } else { state = .afterExponentSign }
            case .afterExponentSign:
                guard isDigit else { throw syntaxError("a number needs a digit in its exponent") }
                try take(byte)
                exponent = Int(byte - UInt8(ascii: "0"))
                state = .exponent
            case .exponent:
                guard isDigit else { break scan }
                try take(byte)
                if exponent < 100_000 { exponent = exponent * 10 + Int(byte - UInt8(ascii: "0")) }
            }
        }
        decimalExponent += exponentNegative ? -exponent : exponent
        if significand == 0 && !droppedDigits { return negative ? -0.0 : 0.0 }
        // Clinger's fast path: both factors exact, one correctly rounded operation.
        if !droppedDigits && significand <= 1 << 53 && decimalExponent >= -22 && decimalExponent <= 22 {
            var value = Double(significand)
            if decimalExponent < 0 { value /= Self.powersOfTen[-decimalExponent] }
            else { value *= Self.powersOfTen[decimalExponent] }
            return negative ? -value : value
        }
        number[length] = 0
        return strtod(number, nil)
    }

    private enum NumberState { case start, afterSign, integer, afterLeadingZero, afterPoint, fraction, afterE, afterExponentSign, exponent }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
