// A small synchronous client of the service's HTTP API, for the commands that can work
// through a running server instead of its data directory.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct APIClient {
    let base: URL
    let token: String?

    struct Answer {
        let status: Int
        let body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    /// Sends one request; a transport failure or an answer other than 2xx is thrown with the
    /// API's own words.
    func send(_ method: String, _ path: String, body: Data? = nil, file: URL? = nil, contentType: String? = nil) throws -> Answer {
        guard let url = URL(string: path, relativeTo: base) else { throw APIClientError("bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 600
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let result = Outcome()
        let done = DispatchSemaphore(value: 0)
        let handler: @Sendable (Data?, URLResponse?, Error?) -> Void = { data, response, error in
            result.set(data: data, status: (response as? HTTPURLResponse)?.statusCode, error: error)
            done.signal()
        }
        let task = if let file { URLSession.shared.uploadTask(with: request, fromFile: file, completionHandler: handler) }
            else if let body { URLSession.shared.uploadTask(with: request, from: body, completionHandler: handler) }
            else { URLSession.shared.dataTask(with: request, completionHandler: handler) }
        task.resume()
        done.wait()
        let (data, status, error) = result.get()
        if let error { throw APIClientError("\(method) \(url.absoluteString): \(error.localizedDescription)") }
        let answer = Answer(status: status ?? 0, body: data ?? Data())
        guard (200..<300).contains(answer.status) else {
            let detail = (answer.json?["error"] as? [String: Any]).map { "\($0["code"] ?? ""): \($0["message"] ?? "")" }
                ?? String(decoding: answer.body.prefix(300), as: UTF8.self)
            throw APIClientError("\(method) \(path) answered \(answer.status): \(detail)")
        }
        return answer
    }

    /// The outcome of one task, handed from URLSession's queue to the waiting caller.
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Data?, Int?, Error?) = (nil, nil, nil)
        func set(data: Data?, status: Int?, error: Error?) { lock.withLock { value = (data, status, error) } }
        func get() -> (Data?, Int?, Error?) { lock.withLock { value } }
    }
}

struct APIClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
