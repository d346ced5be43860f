/// A positive-negative counter whose every replica holds one entry, tagged with the dot
/// of its latest increment. An increment replaces the replica's own entry with its new
/// running totals, so the state is one entry per replica that ever incremented, and a
/// removal (clearing the key or a map field) is observed-remove like every other type:
/// increments concurrent with the removal survive it, carrying their replica's totals.
public struct PNCounter: DotStore {
    /// A replica's running totals. Wrapping arithmetic: totals are modulo 2^64 and the
    /// value is their difference as a two's-complement Int64.
    public struct Entry: Hashable, Sendable {
        public var increments: UInt64
        public var decrements: UInt64
        public init(increments: UInt64, decrements: UInt64) {
            self.increments = increments
            self.decrements = decrements
        }
    }

    public private(set) var fun: DotFun<Entry>
    /// Derived: each replica's live dots (one, unless a peer sent a malformed state), so an
    /// increment finds its own entry without scanning every replica's.
    private var byReplica: [ReplicaID: Set<Dot>]

    public init(fun: DotFun<Entry> = .empty) {
        self.fun = fun
        byReplica = [:]
        for d in fun.entries.keys { byReplica[d.replica, default: []].insert(d) }
    }

    public static var empty: PNCounter { PNCounter() }
    public var isEmpty: Bool { fun.isEmpty }
    public var dotCount: Int { fun.dotCount }
    public func containsDot(_ dot: Dot) -> Bool { fun.containsDot(dot) }
    public func forEachDot(_ body: (Dot) -> Void) { fun.forEachDot(body) }
    public var entries: [Dot: Entry] { fun.entries }

    public mutating func removeDot(_ dot: Dot) {
        guard fun.containsDot(dot) else { return }
        fun.removeDot(dot)
        unindex(dot)
    }

    @discardableResult
    public mutating func join(
        _ other: PNCounter,
        _ otherContext: CausalContext,
        ownContext: CausalContext
    )
        -> DotChanges
    {
        let changes = fun.join(other.fun, otherContext, ownContext: ownContext)
        for d in changes.removed { unindex(d) }
        for d in changes.added { byReplica[d.replica, default: []].insert(d) }
        return changes
    }

    private mutating func unindex(_ dot: Dot) {
        byReplica[dot.replica]?.remove(dot)
        if byReplica[dot.replica]?.isEmpty == true { byReplica[dot.replica] = nil }
    }

    public var value: Int64 {
        fun.entries.values.reduce(Int64(0)) { $0 &+ Int64(bitPattern: $1.increments &- $1.decrements) }
    }

    /// Adds `amount` (negative to decrement) as `dot.replica`.
    public func incrementDelta(by amount: Int64, dot: Dot) -> Causal<PNCounter> {
        let own = byReplica[dot.replica] ?? []
        var totals = Entry(increments: 0, decrements: 0)
        for d in own {
            let e = fun.entries[d]!
            totals.increments &+= e.increments
            totals.decrements &+= e.decrements
        }
        if amount >= 0 {
            totals.increments &+= amount.magnitude
        } else {
            totals.decrements &+= amount.magnitude
        }
        let delta = DotFun.delta(dot, totals, removing: own)
        return Causal(store: PNCounter(fun: delta.store), context: delta.context)
    }

    public static func == (a: PNCounter, b: PNCounter) -> Bool { a.fun == b.fun }
    public func hash(into h: inout Hasher) { h.combine(fun) }
}
