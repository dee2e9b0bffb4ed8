// multipart/form-data parsing: names, filenames, quoted parameters, per-part Content-Type,
// preamble and epilogue, and every limit as a typed error.
import Testing
@testable import HTTP

@Suite struct MultipartTests {
    static let body = Array((
        "preamble to ignore\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"meta\"\r\n"
        + "Content-Type: application/json\r\n\r\n"
        + "{\"a\":1}\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"image\"; filename=\"a \\\"b\\\".png\"\r\n"
        + "Content-Type: image/png\r\n\r\n"
        + "\u{1}\u{2}\r\n--not-the-boundary\r\n"
        + "--XyZ  \r\n"
        + "content-disposition: form-data; name=plain\r\n\r\n"
        + "\r\n"
        + "--XyZ--\r\nepilogue").utf8)

    @Test func partsWithNamesFilenamesAndTypes() throws {
        let parts = try MultipartParser.parse(Self.body, boundary: "XyZ")
        #expect(parts.map(\.name) == ["meta", "image", "plain"])
        #expect(parts[0].contentType == "application/json")
        #expect(parts[0].body == Array("{\"a\":1}".utf8))
        #expect(parts[1].filename == "a \"b\".png")
        #expect(parts[1].contentType == "image/png")
        #expect(parts[1].body == Array("\u{1}\u{2}\r\n--not-the-boundary".utf8))
        #expect(parts[2].contentType == "text/plain")
        #expect(parts[2].body.isEmpty)
    }

    @Test func boundaryFromContentType() throws {
        #expect(try MultipartParser.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(try MultipartParser.boundary(contentType: "Multipart/Form-Data; charset=x; boundary=\"a b:c\"") == "a b:c")
        #expect(throws: MultipartError.notMultipart(contentType: "text/plain")) {
            try MultipartParser.boundary(contentType: "text/plain")
        }
        #expect(throws: MultipartError.missingBoundary) { try MultipartParser.boundary(contentType: "multipart/form-data") }
        #expect(throws: MultipartError.self) {
            try MultipartParser.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71))
        }
    }

    @Test func limitsAreTypedErrors() {
        #expect(throws: MultipartError.tooManyParts(limit: 2)) {
            try MultipartParser.parse(Self.body, boundary: "XyZ", limits: MultipartLimits(maxParts: 2))
        }
        #expect(throws: MultipartError.partTooLarge(name: "meta", limit: 3)) {
            try MultipartParser.parse(Self.body, boundary: "XyZ", limits: MultipartLimits(maxPartBytes: 3))
        }
        #expect(throws: MultipartError.self) {
            try MultipartParser.parse(Self.body, boundary: "XyZ", limits: MultipartLimits(maxHeaderBytes: 10))
        }
    }

    @Test(arguments: [
        "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
        "no boundary at all",
        "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--",
        "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
        "--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--B--",
        "--B\r\nBad Header: x\r\n\r\nx\r\n--B--",
        "--Bjunk\r\n",
    ])
    func malformedBodiesAreRejected(text: String) {
        #expect(throws: MultipartError.self) { try MultipartParser.parse(Array(text.utf8), boundary: "B") }
    }
}
