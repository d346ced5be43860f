import LatticeCore

/// `lattice bench crdt`: mutation and merge throughput of every CRDT type on states of
/// 10, 10,000 and 1,000,000 elements. There is no C library to compare with, so these
/// are absolute figures, for spotting regressions between runs on the same machine.
///
/// What "elements" means per type: counter — entries (replicas that incremented);
/// register and mvregister — concurrent entries awaiting an overwrite; set — members;
/// map — fields (each a counter).
extension BenchSuite {
    static let crdt = BenchSuite(name: "crdt", summary: "CRDT mutation and merge throughput per type and size") {
        options,
        emit in
        let sizes = options.quick ? [10, 1_000] : [10, 10_000, 1_000_000]
        for kind in CRDTBenchKind.allCases {
            for n in sizes { CRDTBench(kind: kind, size: n).run(emit) }
        }
    }
}

enum CRDTBenchKind: String, CaseIterable {
    case counter, register, mvregister, set, map
}

struct CRDTBench {
    let kind: CRDTBenchKind
    let size: Int
    let stamp = HLCTimestamp(wallMilliseconds: 1_700_000_000_000, logical: 0)

    static func replica(_ i: Int, group: UInt64) -> ReplicaID { ReplicaID(high: group, low: UInt64(i)) }

    /// Builds a state of `size` elements written by replica group `group`.
    func build(group: UInt64) -> Causal<CRDTValue> {
        var state = Causal<CRDTValue>()
        let one = Self.replica(0, group: group)
        for i in 0..<size {
            switch kind {
            case .counter, .register, .mvregister:
                // One entry from each of `size` replicas, concurrent with one another.
                let dot = Dot(replica: Self.replica(i, group: group), counter: 1)
                state.join(try! CRDTValue.empty.delta(for: operation(i), dot: dot, timestamp: stamp))
            case .set, .map:
                try! state.apply(operation(i), as: one, at: stamp)
            }
        }
        return state
    }

    func operation(_ i: Int) -> CRDTOperation {
        switch kind {
        case .counter: .increment(by: 1)
        case .register: .assign(.int(Int64(i)))
        case .mvregister: .assignMultiValue(.int(Int64(i)))
        case .set: .add(.int(Int64(i)))
        case .map: .update(field: "f\(i % max(size, 1))", .increment(by: 1))
        }
    }

    /// How many operations to time: registers collapse to one entry on their first
    /// overwrite, so each timed overwrite gets a fresh copy of the full state.
    var repetitions: Int {
        switch kind {
        case .register, .mvregister: max(1, min(1_000, 100_000 / size))
        default: 10_000
        }
    }

    func run(_ emit: (BenchMeasurement) -> Void) {
        let base = build(group: 1)
        emit(BenchMeasurement(name: name("mutate"), value: mutationsPerSecond(on: base), unit: "ops/s"))
        let other = build(group: 2)
        var merged = base
        let mergeSeconds = Stopwatch.seconds { merged.join(other) }
        emit(BenchMeasurement(name: name("merge"), value: Double(2 * size) / mergeSeconds, unit: "elements/s"))
        emit(BenchMeasurement(name: name("delta-merge"), value: deltaMergesPerSecond(into: base), unit: "deltas/s"))
    }

    func name(_ what: String) -> String { "crdt.\(kind.rawValue).\(what).n=\(size)" }

    func mutationsPerSecond(on base: Causal<CRDTValue>) -> Double {
        let k = repetitions
        let writer = Self.replica(0, group: 1)
        if kind == .register || kind == .mvregister {
            // Copies share storage until written, so each timed overwrite also pays for
            // copying its state: O(n), the same order as the overwrite itself.
            var copies = (0..<k).map { _ in base }
            let seconds = Stopwatch.seconds {
                for i in copies.indices { try! copies[i].apply(operation(i), as: writer, at: stamp) }
            }
            return Double(k) / seconds
        }
        var state = base
        let seconds = Stopwatch.seconds {
            for i in 0..<k { try! state.apply(operation(i &* 7_919), as: writer, at: stamp) }
        }
        return Double(k) / seconds
    }

    /// Deltas from a third replica joined into the state, as a peer receiving eager pushes does.
    func deltaMergesPerSecond(into base: Causal<CRDTValue>) -> Double {
        var source = base
        let peer = Self.replica(0, group: 3)
        let k = kind == .register || kind == .mvregister ? repetitions : 10_000
        var deltas = [Causal<CRDTValue>]()
        deltas.reserveCapacity(k)
        for i in 0..<k { deltas.append(try! source.apply(operation(i &* 31), as: peer, at: stamp)) }
        var target = base
        let seconds = Stopwatch.seconds { for d in deltas { target.join(d) } }
        return Double(k) / seconds
    }
}
