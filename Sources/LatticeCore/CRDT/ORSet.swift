/// An add-wins observed-remove set (the paper's AWSet, a DotMap of DotSets): each
/// element carries the dots of the adds that put it there. A remove drops only the
/// dots it has seen, so an add concurrent with a remove wins.
public struct ORSet: DotStore {
    public private(set) var members: [Scalar: Set<Dot>]
    /// Derived index from each dot to the element it tags, so a join can find the
    /// elements a small delta touches without scanning the set.
    private var owners: [Dot: Scalar]

    public init() {
        members = [:]
        owners = [:]
    }

    public static var empty: ORSet { ORSet() }
    public var isEmpty: Bool { members.isEmpty }
    public var dotCount: Int { owners.count }
    public func containsDot(_ dot: Dot) -> Bool { owners[dot] != nil }
    public func forEachDot(_ body: (Dot) -> Void) { for d in owners.keys { body(d) } }

    public var elements: Set<Scalar> { Set(members.keys) }
    public var count: Int { members.count }
    public func contains(_ element: Scalar) -> Bool { members[element] != nil }

    public mutating func removeDot(_ dot: Dot) {
        guard let e = owners.removeValue(forKey: dot) else { return }
        members[e]?.remove(dot)
        if members[e]?.isEmpty == true { members[e] = nil }
    }

    mutating func insert(_ element: Scalar, dot: Dot) {
        members[element, default: []].insert(dot)
        owners[dot] = element
    }

    /// Adds several dots of one element, looking the element up once.
    mutating func insert(_ element: Scalar, dots: [Dot]) {
        guard !dots.isEmpty else { return }
        members[element, default: []].formUnion(dots)
        for d in dots { owners[d] = element }
    }

    @discardableResult
    public mutating func join(_ other: ORSet, _ otherContext: CausalContext, ownContext: CausalContext) -> DotChanges {
        var changes = DotChanges()
        removeDotsRemoved(by: other, otherContext, into: &changes)
        for (e, ds) in other.members {
            let fresh = Array(ds.filter { owners[$0] == nil && !ownContext.contains($0) })
            insert(e, dots: fresh)
            changes.added += fresh
        }
        return changes
    }

    /// Adds `element`, replacing the dots of earlier adds of it that we have seen.
    public func addDelta(_ element: Scalar, dot: Dot) -> Causal<ORSet> {
        var store = ORSet()
        store.insert(element, dot: dot)
        var context = CausalContext(dots: members[element] ?? [])
        context.insert(dot)
        return Causal(store: store, context: context)
    }

    /// Removes `element` as far as we have seen it. The removal consumes `dot` too, so
    /// that version vectors show it happened.
    public func removeDelta(_ element: Scalar, dot: Dot) -> Causal<ORSet> {
        var context = CausalContext(dots: members[element] ?? [])
        context.insert(dot)
        return Causal(store: ORSet(), context: context)
    }

    public static func == (a: ORSet, b: ORSet) -> Bool { a.members == b.members }
    public func hash(into h: inout Hasher) { h.combine(members) }
}
