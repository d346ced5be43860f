/// A mutation, as data: what a client asks for, what the store logs, what tests generate.
public indirect enum CRDTOperation: Hashable, Sendable, CustomStringConvertible {
    /// Counter: add `by` (negative to decrement).
    case increment(by: Int64)
    /// LWW register: assign.
    case assign(Scalar)
    /// Multi-value register: assign.
    case assignMultiValue(Scalar)
    /// Set: add a member.
    case add(Scalar)
    /// Set: remove a member.
    case remove(Scalar)
    /// Map: apply `operation` to the value of `field`.
    case update(field: String, CRDTOperation)
    /// Map: remove a field.
    case removeField(String)
    /// Remove the whole value (delete the key or field).
    case clear

    /// The type the operation applies to; `nil` for `clear`, which applies to any.
    public var type: CRDTType? {
        switch self {
        case .increment: .counter
        case .assign: .register
        case .assignMultiValue: .multiValueRegister
        case .add, .remove: .set
        case .update, .removeField: .map
        case .clear: nil
        }
    }

    /// How many maps deep the operation reaches (0 for a top-level operation).
    public var depth: Int {
        if case let .update(_, nested) = self { return 1 + nested.depth }
        return 0
    }

    public var description: String {
        switch self {
        case let .increment(n): "incr \(n)"
        case let .assign(v): "assign \(v)"
        case let .assignMultiValue(v): "mvassign \(v)"
        case let .add(v): "add \(v)"
        case let .remove(v): "remove \(v)"
        case let .update(f, op): "\(f.debugDescription).\(op)"
        case let .removeField(f): "removeField \(f.debugDescription)"
        case .clear: "clear"
        }
    }
}

/// A mutation that cannot be applied.
public struct CRDTError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public var description: String { name }
        /// The value already holds another type.
        public static let typeMismatch = Code(name: "type_mismatch")
        /// A limit from `CoreLimits` would be exceeded.
        public static let limitExceeded = Code(name: "limit_exceeded")
    }

    public let code: Code
    public let message: String

    public var description: String { "\(code): \(message)" }
}

extension CRDTValue {
    /// The delta that performs `operation` as the event `dot`. `timestamp` orders LWW
    /// assignments. Throws when the value holds another type or a limit would be passed.
    public func delta(
        for operation: CRDTOperation,
        dot: Dot,
        timestamp: HLCTimestamp
    ) throws(CRDTError)
        -> Causal<CRDTValue>
    {
        if let type = operation.type, let held = types.first(where: { $0 != type }) {
            throw CRDTError(
                code: .typeMismatch,
                message: "value holds a \(held), so '\(operation)' (a \(type) operation) cannot apply; "
                    + "delete it first to store a \(type)"
            )
        }
        guard operation.depth < CoreLimits.nestingDepthMax else {
            throw CRDTError(
                code: .limitExceeded,
                message: "operation nests \(operation.depth) maps deep; the limit is \(CoreLimits.nestingDepthMax - 1)"
            )
        }
        return try unsafeDelta(for: operation, dot: dot, timestamp: timestamp)
    }

    private func unsafeDelta(
        for operation: CRDTOperation,
        dot: Dot,
        timestamp: HLCTimestamp
    ) throws(CRDTError)
        -> Causal<CRDTValue>
    {
        switch operation {
        case let .increment(n): return counter.incrementDelta(by: n, dot: dot).lifted(\.counter)
        case let .assign(v): return register.assignDelta(v, at: timestamp, dot: dot).lifted(\.register)
        case let .assignMultiValue(v): return mvRegister.assignDelta(v, dot: dot).lifted(\.mvRegister)
        case let .add(v): return set.addDelta(v, dot: dot).lifted(\.set)
        case let .remove(v): return set.removeDelta(v, dot: dot).lifted(\.set)
        case let .removeField(f): return map.removeDelta(f, dot: dot).lifted(\.map)
        case .clear: return removeDelta(dot: dot)
        case let .update(field, nested):
            guard field.utf8.count <= CoreLimits.fieldBytesMax else {
                throw CRDTError(
                    code: .limitExceeded,
                    message: "map field name is \(field.utf8.count) bytes; the limit is \(CoreLimits.fieldBytesMax)"
                )
            }
            var failure: CRDTError?
            let delta = map.updateDelta(field) { current in
                do throws(CRDTError) {
                    return try current.delta(for: nested, dot: dot, timestamp: timestamp)
                } catch {
                    failure = error
                    return Causal()
                }
            }
            if let failure { throw failure }
            return delta.lifted(\.map)
        }
    }
}

extension Causal where Store == CRDTValue {
    /// Performs `operation` as `replica` with the next dot from this state's own context,
    /// joins it, and returns the delta to replicate. For standalone values; a replica
    /// store shares one context across keys and allocates dots itself.
    @discardableResult
    public mutating func apply(
        _ operation: CRDTOperation,
        as replica: ReplicaID,
        at timestamp: HLCTimestamp
    )
        throws(CRDTError) -> Causal<CRDTValue>
    {
        let dot = context.nextDot(for: replica)
        guard dot.counter <= CoreLimits.counterMax else {
            throw CRDTError(
                code: .limitExceeded,
                message: "replica \(replica) has no counters left; it needs a new replica id"
            )
        }
        let delta = try store.delta(for: operation, dot: dot, timestamp: timestamp)
        join(delta)
        return delta
    }
}
