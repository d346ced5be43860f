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

/// One mutation of one key, pushed eagerly to peers.
public struct KeyDelta: Hashable, Sendable {
    public var key: String
    /// The mutation's own dot.
    public var dot: Dot
    /// The fragment and the exact dots it covers (its own dot plus what it replaced).
    public var delta: Causal<CRDTValue>

    public init(key: String, dot: Dot, delta: Causal<CRDTValue>) {
        self.key = key
        self.dot = dot
        self.delta = delta
    }
}

/// A peer's answer to our complete vector, in progress on the sender. Key names are
/// fixed when the answer starts; their states are read as each batch is cut, so they can
/// only be fresher.
public struct SyncAnswer: Sendable {
    var pending: ArraySlice<String>
    /// What the receiver may adopt once every key has arrived: the sender's context and
    /// complete vector as they were when the answer started. Not later ones — a key the
    /// cursor already passed may have changed since, and its new dots were not sent.
    let markContext: CausalContext
    let markComplete: VersionVector

    public var remainingKeys: Int { pending.count }
}

/// A bounded slice of an answer. Entries are joined using `senderContext` (the sender's
/// context when the batch was cut), which is truthful about every key in the batch.
public struct SyncBatch: Hashable, Sendable {
    public var entries: [SyncEntry]
    public var senderContext: CausalContext
    /// On the last batch only: the "complete up to" marks.
    public var mark: Mark?

    public struct Mark: Hashable, Sendable {
        public var context: CausalContext
        public var complete: VersionVector

        public init(context: CausalContext, complete: VersionVector) {
            self.context = context
            self.complete = complete
        }
    }

    public var isLast: Bool { mark != nil }

    public init(entries: [SyncEntry], senderContext: CausalContext, mark: Mark?) {
        self.entries = entries
        self.senderContext = senderContext
        self.mark = mark
    }
}

public struct SyncEntry: Hashable, Sendable {
    public var key: String
    public var state: KeyState

    public init(key: String, state: KeyState) {
        self.key = key
        self.state = state
    }

    /// About what the entry takes in a batch: its key, value record and version record.
    static func encodedBytes(key: String, state: KeyState) -> Int {
        key.utf8.count + CRDTCodec.encode(state.value).count
            + CRDTCodec.encode(CausalContext(vector: state.version)).count
    }
}
