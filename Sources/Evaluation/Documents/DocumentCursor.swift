// Typed reads on top of JSONReader for the two document readers: each read either yields
// the value or throws an InputError naming the path the caller passes in.

struct DocumentCursor {
    let reader: JSONReader
    let role: DocumentRole

    func fail(_ path: @autoclosure () -> JSONPath, _ problem: InputProblem) -> InputError {
        InputError(role, path(), problem)
    }

    /// Runs `body`, turning malformed JSON and read failures into errors at `path`.
    func located<T>(_ path: @autoclosure () -> JSONPath, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as JSONSyntaxError {
            throw fail(path(), .malformedJSON(error.description))
        } catch let error as ByteSourceError {
            throw fail(path(), .unreadable(error.description))
        }
    }

    func enterObject(_ path: @autoclosure () -> JSONPath) throws {
        guard try reader.enterObject() else { throw fail(path(), .wrongType(expected: "an object", found: try reader.peekKind())) }
    }

    func enterArray(_ path: @autoclosure () -> JSONPath) throws {
        guard try reader.enterArray() else { throw fail(path(), .wrongType(expected: "an array", found: try reader.peekKind())) }
    }

    /// Walks the array at `path`, entering each element as an object; `body` gets the
    /// element's path and reads its members.
    func forEachObject(in path: JSONPath, _ body: (_ elementPath: JSONPath) throws -> Void) throws {
        try enterArray(path)
        var first = true
        var index = 0
        while try reader.nextElement(&first) {
            let elementPath = path.appending(.index(index))
            try enterObject(elementPath)
            try body(elementPath)
            index += 1
        }
    }

    /// Calls `body` once per member of the object just entered, its key in `reader.stringBytes`.
    func forEachMember(_ body: () throws -> Void) throws {
        var first = true
        while try reader.nextMember(&first) { try body() }
    }

    func string(_ path: @autoclosure () -> JSONPath) throws -> String {
        guard let text = try reader.readString() else {
            throw fail(path(), .wrongType(expected: "a string", found: try reader.peekKind()))
        }
        return text
    }

    /// A finite number; null, strings and overflowing literals alike are "not a finite number".
    @inline(__always) func finite(_ path: @autoclosure () -> JSONPath) throws -> Double {
        guard let value = try reader.readNumber(), value.isFinite else {
            throw fail(path(), .notFiniteNumber)
        }
        return value
    }

    /// An integer-valued number within ±2^53 (ids, indices, sizes).
    @inline(__always) func integer(_ path: @autoclosure () -> JSONPath) throws -> Int {
        guard let value = try reader.readNumber() else {
            throw fail(path(), .wrongType(expected: "an integer", found: try reader.peekKind()))
        }
        guard value.rounded(.towardZero) == value, abs(value) <= 9_007_199_254_740_992 else {
            throw fail(path(), .notAnInteger)
        }
        return Int(value)
    }

    /// An integer or a string, as ids are written in either form; returned as written.
    func identifier(_ path: @autoclosure () -> JSONPath) throws -> String {
        switch try reader.peekKind() {
        case .string: return try string(path())
        case .number: return String(try integer(path()))
        case let kind: throw fail(path(), .wrongType(expected: "a string or an integer id", found: kind))
        }
    }
}
