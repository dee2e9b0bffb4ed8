// libFuzzer target: the request parser must never crash, and feeding the input whole, in two
// pieces and byte by byte must give the same events (or the same error).

func summary(_ data: UnsafeBufferPointer<UInt8>, splits: [Int]) -> [String] {
    var limits = Limits()
    limits.maxBodyBytes = 1 << 20
    var parser = RequestParser(limits: limits)
    var events: [RequestParser.Event] = []
    var log: [String] = []
    var start = 0
    for end in splits + [data.count] where end >= start {
        events.removeAll()
        do {
            try parser.feed(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: data[start..<end])), into: &events)
        } catch let error as ParseError {
            log += events.map(describe)
            log.append("error \(error.status.code) \(error.code)")
            return log
        } catch {
            fatalError("untyped error \(error)")
        }
        log += events.map(describe)
        start = end
    }
    return log
}

func describe(_ event: RequestParser.Event) -> String {
    switch event {
    case .head(let head): "head \(head.method) \(head.target) \(head.framing) \(head.keepAlive) \(head.headers.count)"
    case .body(let range): "body \(range.count)"
    case .request(let request): "request \(request.body.count) \(request.body.hashValue) \(request.trailers.count)"
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = UnsafeBufferPointer(start: bytes, count: count)
    let whole = summary(data, splits: [])
    let middle = count / 2
    if summary(data, splits: [middle]) != whole { fatalError("split at \(middle) changed the result") }
    if count <= 4096 {
        if summary(data, splits: Array(0..<count)) != whole { fatalError("byte-at-a-time changed the result") }
    }
    return 0
}
