// Writes a Swift source embedding files' exact bytes (base64 literals decoded at first use,
// so no character needs escaping): one file as a constant, or a folder's files as a
// dictionary keyed by their paths relative to the folder.
//   embed-file INPUT OUTPUT.swift NAME
//   embed-file --folder ROOT OUTPUT.swift NAME FILE...
import Foundation

func literal(_ data: Data) -> String {
    "Array(Data(base64Encoded: \"\"\"\n\(data.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed]))\n\"\"\", options: .ignoreUnknownCharacters) ?? Data())"
}

let arguments = CommandLine.arguments
do {
    if arguments.count >= 4, arguments[1] == "--folder" {
        let root = URL(fileURLWithPath: arguments[2]).standardizedFileURL.path
        let (output, name) = (URL(fileURLWithPath: arguments[3]), arguments[4])
        var entries: [String] = []
        for path in arguments[5...].sorted() {
            let full = URL(fileURLWithPath: path).standardizedFileURL.path
            let relative = String(full.dropFirst(root.count + 1))
            entries.append("    \"\(relative)\": \(literal(try Data(contentsOf: URL(fileURLWithPath: full)))),")
        }
        let source = """
        // Generated at build time from the files of \(URL(fileURLWithPath: root).lastPathComponent)/; do not edit.
        import Foundation

        let \(name): [String: [UInt8]] = [
        \(entries.isEmpty ? ":" : entries.joined(separator: "\n"))
        ]

        """
        try Data(source.utf8).write(to: output, options: .atomic)
    } else if arguments.count == 4 {
        let (input, output, name) = (URL(fileURLWithPath: arguments[1]), URL(fileURLWithPath: arguments[2]), arguments[3])
        let source = """
        // Generated at build time from \(input.lastPathComponent); do not edit.
        import Foundation

        let \(name): [UInt8] = \(literal(try Data(contentsOf: input)))

        """
        try Data(source.utf8).write(to: output, options: .atomic)
    } else {
        FileHandle.standardError.write(Data("usage: embed-file INPUT OUTPUT.swift NAME | embed-file --folder ROOT OUTPUT.swift NAME FILE...\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("embed-file: \(error)\n".utf8))
    exit(1)
}
