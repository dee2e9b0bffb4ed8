// Loads the llhttp request corpus from <repo root>/../shared/http-corpus.
import Foundation
import TestSupport

struct CorpusCase {
    let file: String
    let title: String
    let expectAccept: Bool
    let raw: [UInt8]

    var name: String { "\(file): \(title)" }
}

enum Corpus {
    static func load() throws -> [CorpusCase] {
        let url = Repository.shared.appending(path: "http-corpus/llhttp_cases.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        struct Line: Decodable { let file: String; let title: String; let expect: String; let raw_b64: String }
        return try text.split(separator: "\n").map { line in
            let decoded = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
            guard let raw = Data(base64Encoded: decoded.raw_b64) else {
                throw ClientError(description: "bad base64 in \(decoded.title)")
            }
            return CorpusCase(file: decoded.file, title: decoded.title, expectAccept: decoded.expect == "accept", raw: Array(raw))
        }
    }
}
