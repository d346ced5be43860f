/// A dot store (Almeida, Shoker and Baquero 2018, §6): the data half of a causal CRDT.
/// Paired with a `CausalContext` it forms a state; a dot that the context contains but
/// the store lacks has been removed.
///
/// Joins are in place and cost O(|other| + min(|other context|, |self|)), so joining a
/// small delta into a large state does not walk the large state.
public protocol DotStore: Hashable, Sendable {
    /// The store with no dots.
    static var empty: Self { get }
    var isEmpty: Bool { get }
    /// Number of dots held.
    var dotCount: Int { get }
    func containsDot(_ dot: Dot) -> Bool
    func forEachDot(_ body: (Dot) -> Void)
    /// Drops `dot` and whatever it carries; no-op when absent.
    mutating func removeDot(_ dot: Dot)
    /// Joins `(self, ownContext)` with `(other, otherContext)` in place: keeps our dots
    /// that `other` has or has not seen, adds its dots that we have not seen. The
    /// contexts themselves are joined by the caller. Returns the dots added and removed.
    @discardableResult
    mutating func join(_ other: Self, _ otherContext: CausalContext, ownContext: CausalContext) -> DotChanges
}

/// The dots a join added to and removed from a store.
public struct DotChanges: Sendable {
    public var added: [Dot] = []
    public var removed: [Dot] = []
    public init() {}
}

extension DotStore {
    /// The join of two (store, context) pairs, without mutating either.
    public static func join(_ a: Self, _ ac: CausalContext, _ b: Self, _ bc: CausalContext) -> Self {
        var out = a
        out.join(b, bc, ownContext: ac)
        return out
    }

    /// Every dot, sorted. For tests, encoding and small stores.
    public var dots: [Dot] {
        var out = [Dot]()
        out.reserveCapacity(dotCount)
        forEachDot { out.append($0) }
        return out.sorted()
    }

    /// Our dots that `context` has seen: the only ones a join with `(other, context)` can
    /// remove. Walks whichever side is smaller.
    func dotsSeen(by context: CausalContext) -> [Dot] {
        var out = [Dot]()
        if context.coveredDotCount <= UInt64(dotCount) {
            context.forEachDot { if containsDot($0) { out.append($0) } }
        } else {
            forEachDot { if context.contains($0) { out.append($0) } }
        }
        return out
    }

    /// Step one of every join: drop our dots that the other side has seen but no longer holds.
    mutating func removeDotsRemoved(by other: Self, _ otherContext: CausalContext, into changes: inout DotChanges) {
        for d in dotsSeen(by: otherContext) where !other.containsDot(d) {
            removeDot(d)
            changes.removed.append(d)
        }
    }
}

extension CausalContext {
    /// How many dots the context covers (saturating).
    public var coveredDotCount: UInt64 {
        var total = UInt64(cloud.count)
        for (_, n) in vector.entries {
            let (sum, overflow) = total.addingReportingOverflow(n)
            total = overflow ? .max : sum
        }
        return total
    }

    /// Calls `body` for every dot the context covers. Only for contexts known to be small.
    public func forEachDot(_ body: (Dot) -> Void) {
        for (r, n) in vector.entries where n > 0 {
            for c in 1...n { body(Dot(replica: r, counter: c)) }
        }
        for d in cloud { body(d) }
    }
}

/// A causal CRDT state or delta: a dot store and the context that gives it meaning.
public struct Causal<Store: DotStore>: Hashable, Sendable {
    public var store: Store
    public var context: CausalContext

    public init(store: Store = .empty, context: CausalContext = CausalContext()) {
        self.store = store
        self.context = context
    }

    public static var empty: Causal<Store> { Causal() }

    /// The join: commutative, associative and idempotent.
    public mutating func join(_ other: Causal<Store>) {
        store.join(other.store, other.context, ownContext: context)
        context.formUnion(other.context)
    }

    public func joined(_ other: Causal<Store>) -> Causal<Store> {
        var out = self
        out.join(other)
        return out
    }
}
