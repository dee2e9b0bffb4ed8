// Fetches task images from Label Studio with the project's token, only from the hosts the
// operator configured: /setup and the tasks arrive unauthenticated, so whoever reaches the
// port must not be able to steer requests elsewhere. A legacy token is sent as `Token`; a
// personal access token (a JWT) is exchanged for an access token first.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTP

struct LabelStudioClient: Sendable {
    /// Origins (`scheme://host:port`) the backend may fetch from.
    let allowedOrigins: Set<String>
    let maxBytes: Int

    enum Failure: Error, CustomStringConvertible {
        case hostNotAllowed(String)
        case badURL(String)
        case refused(url: String, status: Int, body: String)
        case transport(url: String, reason: String)
        case tooLarge(url: String, limit: Int)

        var description: String {
            switch self {
            case .hostNotAllowed(let origin):
                "\(origin) is not a Label Studio host this backend may fetch from (label_studio.hosts)"
            case .badURL(let url): "\(url) is not an http(s) URL"
            case .refused(let url, let status, let body): "Label Studio answered \(status) for \(url): \(body.prefix(200))"
            case .transport(let url, let reason): "\(url) could not be fetched: \(reason)"
            case .tooLarge(let url, let limit): "\(url) is over \(limit) bytes"
            }
        }

        var httpError: HTTPError {
            switch self {
            case .hostNotAllowed, .badURL: HTTPError(.badRequest, code: "host-not-allowed", message: description)
            case .tooLarge: HTTPError(.contentTooLarge, code: "image-too-large", message: description)
            case .refused, .transport: HTTPError(Status(502), code: "label-studio-refused", message: description)
            }
        }
    }

    /// `scheme://host:port` of an absolute URL, the port made explicit.
    static func origin(_ url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host?.lowercased() else { return nil }
        return "\(scheme)://\(host):\(url.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// The origin checked against the configured hosts.
    func allowed(_ text: String) throws(Failure) -> URL {
        guard let url = URL(string: text), let origin = Self.origin(url) else { throw .badURL(text) }
        guard allowedOrigins.contains(origin) else { throw .hostNotAllowed(origin) }
        return url
    }

    /// A task's image: its URL joined onto `hostname` (when relative), fetched with the token.
    func image(_ reference: String, hostname: String, token: String) throws(Failure) -> [UInt8] {
        let base = try allowed(hostname)
        let absolute = reference.hasPrefix("http://") || reference.hasPrefix("https://")
            ? reference : base.absoluteString.trimmingSuffix("/") + (reference.hasPrefix("/") ? "" : "/") + reference
        let url = try allowed(absolute)
        return try get(url, authorization: try authorization(token, base: base))
    }

    /// `Token …` for a legacy token; for a personal access token (a JWT: three dot-separated
    /// parts), `Bearer` with the access token that Label Studio exchanges it for.
    func authorization(_ token: String, base: URL) throws(Failure) -> String {
        guard token.split(separator: ".").count == 3 else { return "Token \(token)" }
        let url = base.appending(path: "api/token/refresh/")
        let body = (try? JSONSerialization.data(withJSONObject: ["refresh": token])) ?? Data()
        let answer = try send(url, method: "POST", body: body, headers: ["Content-Type": "application/json"])
        guard let access = (try? JSONSerialization.jsonObject(with: answer) as? [String: Any])?["access"] as? String else {
            throw .refused(url: url.absoluteString, status: 200, body: "no access token in the answer")
        }
        return "Bearer \(access)"
    }

    private func get(_ url: URL, authorization: String) throws(Failure) -> [UInt8] {
        [UInt8](try send(url, method: "GET", body: nil, headers: ["Authorization": authorization]))
    }

    /// One request, synchronously; anything but 2xx is a refusal with Label Studio's words.
    /// Redirects are not followed: a redirect could lead off the allowed hosts.
    private func send(_ url: URL, method: String, body: Data?, headers: [String: String]) throws(Failure) -> Data {
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        session.dataTask(with: request) { data, response, error in
            outcome.set(data, (response as? HTTPURLResponse)?.statusCode, error)
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        let (data, status, error) = outcome.get()
        if let error { throw .transport(url: url.absoluteString, reason: error.localizedDescription) }
        let bytes = data ?? Data()
        guard let status, (200..<300).contains(status) else {
            throw .refused(url: url.absoluteString, status: status ?? 0, body: String(decoding: bytes, as: UTF8.self))
        }
        guard bytes.count <= maxBytes else { throw .tooLarge(url: url.absoluteString, limit: maxBytes) }
        return bytes
    }

    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Data?, Int?, Error?) = (nil, nil, nil)
        func set(_ data: Data?, _ status: Int?, _ error: Error?) { lock.lock(); value = (data, status, error); lock.unlock() }
        func get() -> (Data?, Int?, Error?) { lock.lock(); defer { lock.unlock() }; return value }
    }

    private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
