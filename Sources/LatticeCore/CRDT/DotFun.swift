/// A map from dot to an immutable value: the store behind counters and registers
/// (the paper's DotFun). A dot's value never changes once issued, so a dot present on
/// both sides of a join carries the same value on both.
public struct DotFun<Value: Hashable & Sendable>: DotStore {
    public private(set) var entries: [Dot: Value]

    public init(_ entries: [Dot: Value] = [:]) { self.entries = entries }

    public static var empty: DotFun<Value> { DotFun() }
    public var isEmpty: Bool { entries.isEmpty }
    public var dotCount: Int { entries.count }
    public func containsDot(_ dot: Dot) -> Bool { entries[dot] != nil }
    public func forEachDot(_ body: (Dot) -> Void) { for d in entries.keys { body(d) } }
    public mutating func removeDot(_ dot: Dot) { entries[dot] = nil }

    public subscript(dot: Dot) -> Value? { entries[dot] }

    @discardableResult
    public mutating func join(
        _ other: DotFun<Value>,
        _ otherContext: CausalContext,
        ownContext: CausalContext
    )
        -> DotChanges
    {
        var changes = DotChanges()
        removeDotsRemoved(by: other, otherContext, into: &changes)
        for (d, v) in other.entries where entries[d] == nil && !ownContext.contains(d) {
            entries[d] = v
            changes.added.append(d)
        }
        return changes
    }

    /// A delta holding only `dot -> value`, whose context also covers `removing`.
    static func delta(_ dot: Dot, _ value: Value, removing: some Sequence<Dot>) -> Causal<DotFun<Value>> {
        var context = CausalContext(dots: removing)
        context.insert(dot)
        return Causal(store: DotFun([dot: value]), context: context)
    }
}
