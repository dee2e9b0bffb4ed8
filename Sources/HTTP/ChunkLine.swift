// The chunk-size line of the chunked coding (RFC 9112 §7.1.1): hex size, then optional
// extensions `;name[=token|"quoted"]`, BWS only around the separators.

enum ChunkLine {
    static func parseSize(_ line: [UInt8]) throws(ParseError) -> Int {
        var index = 0
        var size = 0
        while index < line.count, let digit = ASCII.hexValue(line[index]) {
            guard size <= (Int.max >> 4) else {
                throw ParseError.bad("chunk-size-overflow", "chunk size does not fit in 63 bits")
            }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw ParseError.bad("bad-chunk-size", "chunk size is not hexadecimal") }
        try validateExtensions(line, from: index)
        return size
    }

    /// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    static func validateExtensions(_ line: [UInt8], from start: Int) throws(ParseError) {
        var index = start
        func skipBWS() -> Bool {
            let before = index
            while index < line.count, line[index] == ASCII.space || line[index] == ASCII.tab { index += 1 }
            return index > before
        }
        func token() -> Bool {
            let before = index
            while index < line.count, ASCII.isToken(line[index]) { index += 1 }
            return index > before
        }
        let bad = ParseError.bad("bad-chunk-extension", "malformed chunk extension (RFC 9112 §7.1.1)")
        while true {
            let hadSpace = skipBWS()
            if index == line.count {
                if hadSpace { throw bad }
                return
            }
            guard line[index] == ASCII.semicolon else { throw bad }
            index += 1
            _ = skipBWS()
            guard token() else { throw bad }
            let beforeValue = index
            _ = skipBWS()
            if index < line.count, line[index] == ASCII.equals {
                index += 1
                _ = skipBWS()
                if index < line.count, line[index] == ASCII.quote {
                    index += 1
                    var closed = false
                    while index < line.count {
                        let byte = line[index]
                        if byte == ASCII.quote { closed = true; index += 1; break }
                        if byte == ASCII.backslash {
                            index += 1
                            guard index < line.count, ASCII.isFieldValueByte(line[index]) else { throw bad }
                        } else if !ASCII.isFieldValueByte(byte) {
                            throw bad
                        }
                        index += 1
                    }
                    guard closed else { throw bad }
                } else {
                    guard token() else { throw bad }
                }
            } else {
                index = beforeValue
            }
        }
    }
}
