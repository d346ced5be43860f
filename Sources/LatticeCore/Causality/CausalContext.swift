/// The set of dots a replica has seen, kept compact: a version vector for the
/// contiguous prefix of each replica's dots plus a "dot cloud" of dots seen out of
/// order (Almeida, Shoker and Baquero, "Delta State Replicated Data Types", 2018, §5.2).
///
/// Removals live here: a dot that the context contains but a dot store lacks was removed.
/// The cloud drains into the vector as gaps fill, so no tombstone set grows forever.
public struct CausalContext: Hashable, Sendable, CustomStringConvertible {
    public private(set) var vector: VersionVector
    public private(set) var cloud: Set<Dot>

    public init() {
        vector = VersionVector()
        cloud = []
    }

    /// A context from a vector and out-of-order dots; compacted.
    public init(vector: VersionVector, cloud: Set<Dot> = []) {
        self.vector = vector
        self.cloud = cloud
        compact()
    }

    /// A context holding exactly `dots`; compacted.
    public init(dots: some Sequence<Dot>) {
        self.init()
        for d in dots { insertWithoutCompacting(d) }
        compact()
    }

    public var isEmpty: Bool { vector.isEmpty && cloud.isEmpty }

    public func contains(_ dot: Dot) -> Bool {
        vector.contains(dot) || cloud.contains(dot)
    }

    /// The highest counter of `replica` the context holds (vector or cloud).
    public func highestCounter(of replica: ReplicaID) -> UInt64 {
        var highest = vector[replica]
        for d in cloud where d.replica == replica && d.counter > highest { highest = d.counter }
        return highest
    }

    /// The next dot `replica` should issue: one past the highest it has seen. Callers that
    /// issue it check it against `CoreLimits.counterMax` (decoders keep every counter
    /// below it, so only a context built in-process can get near `UInt64.max`).
    public func nextDot(for replica: ReplicaID) -> Dot {
        let highest = highestCounter(of: replica)
        return Dot(replica: replica, counter: highest == .max ? .max : highest + 1)
    }

    public mutating func insert(_ dot: Dot) {
        insertWithoutCompacting(dot)
        compact()
    }

    public mutating func formUnion(_ other: CausalContext) {
        vector.merge(other.vector)
        for d in other.cloud where !vector.contains(d) { cloud.insert(d) }
        compact()
    }

    public func union(_ other: CausalContext) -> CausalContext {
        var out = self
        out.formUnion(other)
        return out
    }

    private mutating func insertWithoutCompacting(_ dot: Dot) {
        if !vector.contains(dot) { cloud.insert(dot) }
    }

    /// Moves cloud dots that extend a replica's contiguous prefix into the vector and
    /// drops cloud dots the vector already covers.
    private mutating func compact() {
        guard !cloud.isEmpty else { return }
        var remaining = Set<Dot>()
        for dot in cloud.sorted() {
            let n = vector[dot.replica]
            if dot.counter - 1 == n {
                vector[dot.replica] = dot.counter
            } else if dot.counter > n {
                remaining.insert(dot)
            }
        }
        cloud = remaining
    }

    public var description: String {
        cloud.isEmpty ? vector.description : "\(vector) + \(cloud.sorted())"
    }
}
