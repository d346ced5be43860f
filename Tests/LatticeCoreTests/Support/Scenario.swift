import LatticeCore

typealias SeededRandom = SplitMix64

/// Which operations a scenario draws from.
enum OpFamily: CaseIterable, CustomStringConvertible {
    case counter, register, mvRegister, set, map, mixedKey

    var description: String {
        switch self {
        case .counter: "counter"
        case .register: "register"
        case .mvRegister: "mvregister"
        case .set: "set"
        case .map: "map"
        case .mixedKey: "any type with clears"
        }
    }
}

/// Random operations over small domains, so replicas collide on the same elements and fields.
struct OpGenerator {
    var rng: SeededRandom

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    mutating func scalar() -> Scalar {
        switch int(0...3) {
        case 0: .int(Int64(int(0...4)))
        case 1: .string(["x", "y", "é", "z"][int(0...3)])
        case 2: .bool(int(0...1) == 1)
        default: .bytes([UInt8(int(0...2))])
        }
    }

    mutating func op(_ family: OpFamily, depth: Int = 0) -> CRDTOperation {
        switch family {
        case .counter: return .increment(by: Int64(int(-5...9)))
        case .register: return .assign(scalar())
        case .mvRegister: return .assignMultiValue(scalar())
        case .set: return int(0...2) == 0 ? .remove(scalar()) : .add(scalar())
        case .map:
            let field = ["a", "b", "c"][int(0...2)]
            if int(0...5) == 0 { return .removeField(field) }
            // Each field name keeps one type so local writes are never refused.
            let nested: OpFamily = field == "a" ? .counter : field == "b" ? .set : (depth < 2 ? .map : .register)
            return .update(field: field, op(nested, depth: depth + 1))
        case .mixedKey:
            return int(0...6) == 0 ? .clear : op([.counter, .set, .map][int(0...2)], depth: depth)
        }
    }
}

/// A replica of one value: its state, its id and a clock for LWW timestamps.
struct Replica {
    let id: ReplicaID
    var state = Causal<CRDTValue>()
    var clock: UInt64 = 0

    init(index: Int) { id = ReplicaID(high: UInt64(index + 1) << 60, low: 0xABCD) }

    /// Applies `op` if the value's type allows it; returns the delta.
    mutating func perform(_ op: CRDTOperation) -> Causal<CRDTValue>? {
        clock += 1
        return try? state.apply(op, as: id, at: HLCTimestamp(wallMilliseconds: clock, logical: 0))
    }
}

/// Several replicas applying random operations and exchanging random deltas and states.
struct Scenario {
    var replicas: [Replica]
    /// Every delta produced, in production order.
    var deltas: [Causal<CRDTValue>] = []

    init(seed: UInt64, family: OpFamily, replicas count: Int = 3, steps: Int = 30) {
        var gen = OpGenerator(rng: SeededRandom(seed: seed))
        replicas = (0..<count).map { Replica(index: $0) }
        for _ in 0..<steps {
            let i = gen.int(0...(count - 1))
            switch gen.int(0...9) {
            case 0 where !deltas.isEmpty:
                replicas[i].state.join(deltas[gen.int(0...(deltas.count - 1))])
            case 1:
                let j = gen.int(0...(count - 1))
                replicas[i].state.join(replicas[j].state)
            default:
                if let d = replicas[i].perform(gen.op(family)) { deltas.append(d) }
            }
        }
    }

    /// The join of every replica's state.
    var joined: Causal<CRDTValue> {
        replicas.reduce(Causal()) { $0.joined($1.state) }
    }
}
