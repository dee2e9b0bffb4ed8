// One shard of a split, `I/N`: a deterministic partition of the pairs by source image, so
// that every machine of a batch run gets whole sources and reuses their features.
public struct SplitShard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based, as Kubernetes' completion index plus one.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(SplitShardError) {
        guard count >= 1, (1...count).contains(index) else { throw .outOfRange(index: index, count: count) }
        self.index = index
        self.count = count
    }

    /// `I/N` with 1 ≤ I ≤ N.
    public init(parsing text: String) throws(SplitShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { throw .syntax(text) }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// The shard (0-based) of each source image. Sources are dealt largest first (by pair
    /// count, then by id) to the shard with the fewest pairs so far (the lowest on a tie):
    /// the shards' pair counts differ by at most one source's pairs, and the assignment
    /// depends on the pairs file alone, never on the machine or the order of the runs.
    public static func assignment(of pairs: [PairsFile.Pair], shards: Int) -> [String: Int] {
        var perSource: [String: Int] = [:]
        for pair in pairs { perSource[pair.source, default: 0] += 1 }
        let order = perSource.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var load = [Int](repeating: 0, count: shards)
        var shardOf: [String: Int] = [:]
        shardOf.reserveCapacity(order.count)
        for (source, count) in order {
            var lightest = 0
            for shard in 1..<shards where load[shard] < load[lightest] { lightest = shard }
            shardOf[source] = lightest
            load[lightest] += count
        }
        return shardOf
    }

    /// This shard's pairs, in the split's order.
    public func pairs(of pairs: [PairsFile.Pair]) -> [PairsFile.Pair] {
        guard count > 1 else { return pairs }
        let shardOf = Self.assignment(of: pairs, shards: count)
        return pairs.filter { shardOf[$0.source] == index - 1 }
    }
}

public enum SplitShardError: Error, Equatable, CustomStringConvertible {
    case syntax(String)
    case outOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case .syntax(let text): "--shard \(text): expected I/N, e.g. 1/3"
        case .outOfRange(let index, let count): "--shard \(index)/\(count): I must be in 1...N and N at least 1"
        }
    }
}
