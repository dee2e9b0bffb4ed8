// libFuzzer target: the multipart/form-data parser must never crash; every part it returns
// lies inside the body.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipartParser(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: bytes, count: count))
    // The first line, when short, doubles as a Content-Type to exercise boundary parsing.
    if let newline = body.firstIndex(of: 10), newline < 200 {
        let contentType = String(decoding: body[..<newline], as: UTF8.self)
        _ = try? MultipartParser.boundary(contentType: contentType)
    }
    let limits = MultipartLimits(maxParts: 16, maxPartBytes: 1 << 16, maxHeaderBytes: 512)
    if let parts = try? MultipartParser.parse(body, boundary: "B", limits: limits) {
        var total = 0
        for part in parts { total += part.body.count }
        if total > body.count { fatalError("parts larger than the body") }
    }
    return 0
}
