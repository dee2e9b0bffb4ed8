// The location of a value inside a document, as users write it: `pairs[12].matches[3].x`.

public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    public let components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// A copy with more components appended.
    public func appending(_ more: Component...) -> JSONPath {
        JSONPath(components + more)
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text.isEmpty ? "(document)" : text
    }
}
