/// Counters and registers are a `DotFun` with a typed API on top; this protocol forwards
/// the dot-store requirements so each type only says what its values mean.
public protocol DotFunBacked: DotStore {
    associatedtype Value: Hashable & Sendable
    /// The underlying dot function.
    var fun: DotFun<Value> { get set }
    init(fun: DotFun<Value>)
}

extension DotFunBacked {
    public static var empty: Self { Self(fun: .empty) }
    public var isEmpty: Bool { fun.isEmpty }
    public var dotCount: Int { fun.dotCount }
    public func containsDot(_ dot: Dot) -> Bool { fun.containsDot(dot) }
    public func forEachDot(_ body: (Dot) -> Void) { fun.forEachDot(body) }
    public mutating func removeDot(_ dot: Dot) { fun.removeDot(dot) }

    @discardableResult
    public mutating func join(_ other: Self, _ otherContext: CausalContext, ownContext: CausalContext) -> DotChanges {
        fun.join(other.fun, otherContext, ownContext: ownContext)
    }

    /// A delta that replaces `replacing` with `dot -> value`.
    static func replacementDelta(_ dot: Dot, _ value: Value, replacing: some Sequence<Dot>) -> Causal<Self> {
        let d = DotFun.delta(dot, value, removing: replacing)
        return Causal(store: Self(fun: d.store), context: d.context)
    }
}

/// A last-writer-wins register. Writes carry a hybrid-logical-clock timestamp; the value
/// is the entry with the greatest (timestamp, dot). Concurrent writes both stay in the
/// store until a later write observes and replaces them, so no write is lost to a merge
/// order, and every replica reads the same winner.
public struct LWWRegister: DotFunBacked {
    public struct Stamped: Hashable, Sendable {
        public var timestamp: HLCTimestamp
        public var value: Scalar
        public init(timestamp: HLCTimestamp, value: Scalar) {
            self.timestamp = timestamp
            self.value = value
        }
    }

    public var fun: DotFun<Stamped>
    public init(fun: DotFun<Stamped>) { self.fun = fun }

    public var entries: [Dot: Stamped] { fun.entries }

    /// The winning write, if any.
    public var winner: (dot: Dot, timestamp: HLCTimestamp, value: Scalar)? {
        fun.entries.max { ($0.value.timestamp, $0.key) < ($1.value.timestamp, $1.key) }
            .map { (dot: $0.key, timestamp: $0.value.timestamp, value: $0.value.value) }
    }

    public var value: Scalar? { winner?.value }

    public func assignDelta(_ value: Scalar, at timestamp: HLCTimestamp, dot: Dot) -> Causal<LWWRegister> {
        Self.replacementDelta(dot, Stamped(timestamp: timestamp, value: value), replacing: fun.entries.keys)
    }
}

/// A multi-value register: a write replaces every value it has seen; concurrent writes
/// all survive, and a reader sees each of them (sorted by dot).
public struct MVRegister: DotFunBacked {
    public var fun: DotFun<Scalar>
    public init(fun: DotFun<Scalar>) { self.fun = fun }

    public var entries: [Dot: Scalar] { fun.entries }

    public var values: [Scalar] { fun.entries.sorted { $0.key < $1.key }.map(\.value) }

    public func assignDelta(_ value: Scalar, dot: Dot) -> Causal<MVRegister> {
        Self.replacementDelta(dot, value, replacing: fun.entries.keys)
    }
}
