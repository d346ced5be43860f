/// The kinds of value a key or map field can hold.
public enum CRDTType: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case counter = 1
    case register = 2
    case multiValueRegister = 3
    case set = 4
    case map = 5

    public var description: String {
        switch self {
        case .counter: "counter"
        case .register: "register"
        case .multiValueRegister: "mvregister"
        case .set: "set"
        case .map: "map"
        }
    }
}

/// What one key (or one map field) holds.
///
/// A product with one slot per type rather than a sum: if two replicas concurrently
/// create the same key as different types, the join keeps both (a sum type would need
/// an order between types and would drop one side's writes). Local writes of a second
/// type are refused (`CRDTError.typeMismatch`), so a key normally has one non-empty slot;
/// `types` shows a conflict when there is one.
public struct CRDTValue: DotStore {
    public internal(set) var counter: PNCounter
    public internal(set) var register: LWWRegister
    public internal(set) var mvRegister: MVRegister
    public internal(set) var set: ORSet
    public internal(set) var map: ORMap

    public init(
        counter: PNCounter = .empty,
        register: LWWRegister = .empty,
        mvRegister: MVRegister = .empty,
        set: ORSet = .empty,
        map: ORMap = .empty
    ) {
        self.counter = counter
        self.register = register
        self.mvRegister = mvRegister
        self.set = set
        self.map = map
    }

    public static var empty: CRDTValue { CRDTValue() }

    /// Types whose slot is non-empty, in `CRDTType` order.
    public var types: [CRDTType] {
        var out = [CRDTType]()
        if !counter.isEmpty { out.append(.counter) }
        if !register.isEmpty { out.append(.register) }
        if !mvRegister.isEmpty { out.append(.multiValueRegister) }
        if !set.isEmpty { out.append(.set) }
        if !map.isEmpty { out.append(.map) }
        return out
    }

    public var isEmpty: Bool {
        counter.isEmpty && register.isEmpty && mvRegister.isEmpty && set.isEmpty && map.isEmpty
    }

    public var dotCount: Int {
        counter.dotCount + register.dotCount + mvRegister.dotCount + set.dotCount + map.dotCount
    }

    public func containsDot(_ dot: Dot) -> Bool {
        counter.containsDot(dot) || register.containsDot(dot) || mvRegister.containsDot(dot)
            || set.containsDot(dot) || map.containsDot(dot)
    }

    public func forEachDot(_ body: (Dot) -> Void) {
        counter.forEachDot(body)
        register.forEachDot(body)
        mvRegister.forEachDot(body)
        set.forEachDot(body)
        map.forEachDot(body)
    }

    public mutating func removeDot(_ dot: Dot) {
        counter.removeDot(dot)
        register.removeDot(dot)
        mvRegister.removeDot(dot)
        set.removeDot(dot)
        map.removeDot(dot)
    }

    @discardableResult
    public mutating func join(
        _ other: CRDTValue,
        _ otherContext: CausalContext,
        ownContext: CausalContext
    )
        -> DotChanges
    {
        var all = DotChanges()
        func collect(_ c: DotChanges) {
            all.added += c.added
            all.removed += c.removed
        }
        collect(counter.join(other.counter, otherContext, ownContext: ownContext))
        collect(register.join(other.register, otherContext, ownContext: ownContext))
        collect(mvRegister.join(other.mvRegister, otherContext, ownContext: ownContext))
        collect(set.join(other.set, otherContext, ownContext: ownContext))
        collect(map.join(other.map, otherContext, ownContext: ownContext))
        return all
    }

    /// Removes everything seen in this value (deleting a key); consumes `dot`.
    public func removeDelta(dot: Dot) -> Causal<CRDTValue> {
        var seen = [dot]
        forEachDot { seen.append($0) }
        return Causal(store: .empty, context: CausalContext(dots: seen))
    }
}

extension Causal {
    /// Lifts a typed delta into a `CRDTValue` delta.
    func lifted(_ slot: WritableKeyPath<CRDTValue, Store>) -> Causal<CRDTValue> {
        var value = CRDTValue.empty
        value[keyPath: slot] = store
        return Causal<CRDTValue>(store: value, context: context)
    }
}
