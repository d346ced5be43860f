/// For each replica, the highest counter `n` such that every dot `(replica, 1...n)` has
/// been seen. Replicas with nothing seen are absent (counter 0).
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    private var counters: [ReplicaID: UInt64]

    public init() { counters = [:] }

    public init(_ entries: [ReplicaID: UInt64]) {
        counters = entries.filter { $0.value > 0 }
    }

    public subscript(replica: ReplicaID) -> UInt64 {
        get { counters[replica] ?? 0 }
        set { counters[replica] = newValue == 0 ? nil : newValue }
    }

    public var isEmpty: Bool { counters.isEmpty }
    public var count: Int { counters.count }

    /// Whether `dot` is covered: its counter is at or below this replica's entry.
    public func contains(_ dot: Dot) -> Bool { dot.counter <= self[dot.replica] }

    /// Entrywise maximum (the join of version vectors).
    public mutating func merge(_ other: VersionVector) {
        for (r, n) in other.counters where n > self[r] { counters[r] = n }
    }

    /// Whether every entry of `other` is at or below ours.
    public func dominates(_ other: VersionVector) -> Bool {
        other.counters.allSatisfy { self[$0.key] >= $0.value }
    }

    /// Entrywise minimum over the replicas present in both (absent counts as 0).
    public func meet(_ other: VersionVector) -> VersionVector {
        var out = VersionVector()
        for (r, n) in counters { out[r] = min(n, other[r]) }
        return out
    }

    /// Entries sorted by replica id, for deterministic encoding and display.
    public var entries: [(replica: ReplicaID, counter: UInt64)] {
        counters.sorted { $0.key < $1.key }.map { (replica: $0.key, counter: $0.value) }
    }

    public var replicas: Dictionary<ReplicaID, UInt64>.Keys { counters.keys }

    public var description: String {
        "[" + entries.map { "\($0.replica):\($0.counter)" }.joined(separator: ", ") + "]"
    }
}
