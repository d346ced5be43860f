/// An observed-remove map from field names to nested values (the paper's ORMap): all
/// fields share the map's causal context, a field exists while its value holds a dot,
/// and removing a field removes the dots seen in it — updates concurrent with the
/// removal survive.
public struct ORMap: DotStore {
    public private(set) var fields: [String: CRDTValue]
    /// Derived index from each dot to the field holding it.
    private var owners: [Dot: String]

    public init() {
        fields = [:]
        owners = [:]
    }

    public static var empty: ORMap { ORMap() }
    public var isEmpty: Bool { fields.isEmpty }
    public var dotCount: Int { owners.count }
    public func containsDot(_ dot: Dot) -> Bool { owners[dot] != nil }
    public func forEachDot(_ body: (Dot) -> Void) { for d in owners.keys { body(d) } }

    public subscript(field: String) -> CRDTValue? { fields[field] }

    public mutating func removeDot(_ dot: Dot) {
        guard let f = owners.removeValue(forKey: dot) else { return }
        fields[f]?.removeDot(dot)
        if fields[f]?.isEmpty == true { fields[f] = nil }
    }

    @discardableResult
    public mutating func join(_ other: ORMap, _ otherContext: CausalContext, ownContext: CausalContext) -> DotChanges {
        var changes = DotChanges()
        // Fields the other side holds are joined recursively; the rest can only lose dots.
        for d in dotsSeen(by: otherContext) where other.fields[owners[d]!] == nil {
            removeDot(d)
            changes.removed.append(d)
        }
        for (f, theirs) in other.fields {
            var mine = fields[f] ?? .empty
            let nested = mine.join(theirs, otherContext, ownContext: ownContext)
            for d in nested.removed { owners[d] = nil }
            for d in nested.added { owners[d] = f }
            fields[f] = mine.isEmpty ? nil : mine
            changes.added += nested.added
            changes.removed += nested.removed
        }
        return changes
    }

    /// Applies `mutation` to the field's current value (empty if absent) and lifts the
    /// nested delta into a map delta.
    public func updateDelta(_ field: String, _ mutation: (CRDTValue) -> Causal<CRDTValue>) -> Causal<ORMap> {
        let nested = mutation(fields[field] ?? .empty)
        var store = ORMap()
        if !nested.store.isEmpty {
            store.fields[field] = nested.store
            nested.store.forEachDot { store.owners[$0] = field }
        }
        return Causal(store: store, context: nested.context)
    }

    /// Removes the field as far as we have seen it; consumes `dot`.
    public func removeDelta(_ field: String, dot: Dot) -> Causal<ORMap> {
        var seen = [dot]
        fields[field]?.forEachDot { seen.append($0) }
        return Causal(store: ORMap(), context: CausalContext(dots: seen))
    }

    /// Sets a field wholesale (for decoders); `value` must not share dots with other fields.
    mutating func setField(_ field: String, _ value: CRDTValue) {
        fields[field]?.forEachDot { owners[$0] = nil }
        fields[field] = value.isEmpty ? nil : value
        value.forEachDot { owners[$0] = field }
    }

    public static func == (a: ORMap, b: ORMap) -> Bool { a.fields == b.fields }
    public func hash(into h: inout Hasher) { h.combine(fields) }
}
