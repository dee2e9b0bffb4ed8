// Writes a Swift source declaring one string constant that holds a file's exact bytes
// (as a base64 literal decoded at first use, so no character needs escaping).
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: embed-file INPUT OUTPUT.swift NAME\n".utf8))
    exit(2)
}
let input = URL(fileURLWithPath: arguments[1])
let output = URL(fileURLWithPath: arguments[2])
let name = arguments[3]
do {
    let data = try Data(contentsOf: input)
    let encoded = data.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
    let source = """
    // Generated at build time from \(input.lastPathComponent); do not edit.
    import Foundation

    let \(name): [UInt8] = Array(Data(base64Encoded: \"\"\"
    \(encoded)
    \"\"\", options: .ignoreUnknownCharacters) ?? Data())

    """
    try Data(source.utf8).write(to: output, options: .atomic)
} catch {
    FileHandle.standardError.write(Data("embed-file: \(error)\n".utf8))
    exit(1)
}
