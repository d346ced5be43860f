import LatticeCore

/// What a replica keeps for one key: the value, and the key's own version vector — for
/// each origin replica, the highest counter of a dot that touched this key (wrote it,
/// overwrote it, or removed something from it).
///
/// The key version is what makes causal delta sync complete without tombstone sets: a
/// peer whose vector is behind `version[R]` for some origin `R` is missing an effect on
/// this key, so the key is sent; a dot of `R` that a peer lacks always shows up this way,
/// because the key it touched records a counter at least as high.
public struct KeyState: Hashable, Sendable {
    public var value: CRDTValue
    public var version: VersionVector

    public init(value: CRDTValue = .empty, version: VersionVector = VersionVector()) {
        self.value = value
        self.version = version
    }

    /// A tombstone: the value is gone but its version must stay until every replica has
    /// seen it (causal stability), or a lagging peer could resurrect what was deleted.
    public var isTombstone: Bool { value.isEmpty }

    /// Whether a peer whose vector is `vector` lacks some effect on this key.
    public func isMissing(from vector: VersionVector) -> Bool {
        version.entries.contains { $0.counter > vector[$0.replica] }
    }
}

extension VersionVector {
    /// For each replica, the highest counter among `context`'s dots (vector or cloud).
    public init(maxima context: CausalContext) {
        self = context.vector
        for d in context.cloud where d.counter > self[d.replica] { self[d.replica] = d.counter }
    }
}

/// One key's value travelling from one replica to another.
public struct KeyDelta: Hashable, Sendable {
    public var key: String
    /// The fragment and the exact dots it covers (the new dot plus what it replaced).
    public var delta: Causal<CRDTValue>

    public init(key: String, delta: Causal<CRDTValue>) {
        self.key = key
        self.delta = delta
    }
}

/// A bounded slice of what a peer lacks, answering that peer's context.
///
/// Entries are joined using `senderContext` as their context: the sender's whole context
/// is truthful about each key it sends (it holds that key's latest state for every dot it
/// has seen). Only the last batch lets the receiver adopt `senderContext` wholesale — the
/// "complete up to" mark — because only then has every key behind it arrived.
public struct SyncBatch: Hashable, Sendable {
    public var entries: [SyncEntry]
    public var senderContext: CausalContext
    /// True on the batch that completes the answer.
    public var isLast: Bool
    /// Resume after this key for the next batch (keys are sent in ascending UTF-8 order).
    public var cursor: String?

    public init(entries: [SyncEntry], senderContext: CausalContext, isLast: Bool, cursor: String?) {
        self.entries = entries
        self.senderContext = senderContext
        self.isLast = isLast
        self.cursor = cursor
    }
}

public struct SyncEntry: Hashable, Sendable {
    public var key: String
    public var state: KeyState

    public init(key: String, state: KeyState) {
        self.key = key
        self.state = state
    }
}
