import LatticeCompression
import LatticeCore
import LatticeSync

/// `lattice bench repair`: digest repair between two replicas of 1,000,000 keys (10,000
/// with --quick) that differ in d = 1, 100 and 10,000 keys (capped at 1% with --quick):
/// a third only on one side, a third only on the other, a third changed on both.
///
/// Bytes: every reconciliation message (encoded) plus the differing entries' encodings,
/// against the zstd level-3 size of only the differing entries (the least a transfer of
/// just the differences could cost). A second figure sends the entries zstd-compressed
/// as the wire would (frames are compressed). Time: reconciliation on both sides (every
/// message encoded and decoded) plus reading and encoding the entries. Building the
/// digest indexes is reported apart: a store keeps them up to date on every write.
extension BenchSuite {
    static let repair = BenchSuite(
        name: "repair",
        summary: "Digest repair bytes and time against zstd of only the differences"
    ) {
        options,
        emit in
        let n = options.quick ? 10_000 : 1_000_000
        for d in [1, 100, 10_000] where d <= n / 100 || !options.quick {
            try RepairBench(keys: n, differences: d).run(emit)
        }
    }
}

struct RepairBench {
    let keys: Int
    let differences: Int
    static let writerA = ReplicaID(high: 0xa, low: 1)
    static let writerB = ReplicaID(high: 0xb, low: 2)

    /// A counter state per key: a real value and version, hashed through its real encoding.
    static func state(_ i: Int, writer: ReplicaID, bump: Int64 = 0) -> KeyState {
        let dot = Dot(replica: writer, counter: UInt64(i + 1))
        let stamp = HLCTimestamp(wallMilliseconds: 1_700_000_000_000, logical: 0)
        let value = try! CRDTValue.empty.delta(
            for: .increment(by: Int64(i % 1_000) + 1 + bump),
            dot: dot,
            timestamp: stamp
        )
        return KeyState(value: value.store, version: VersionVector([writer: dot.counter]))
    }

    static func key(_ i: Int) -> String {
        let digits = String(i)
        return "user/" + String(repeating: "0", count: 8 - digits.count) + digits + "/profile"
    }

    struct Side {
        var keys: [[UInt8]] = []
        var hashes: [UInt64] = []
        /// States of the keys that differ, for the entries this side sends.
        var differing: [String: KeyState] = [:]

        mutating func add(_ key: String, _ state: KeyState, differs: Bool) {
            let bytes = Array(key.utf8)
            keys.append(bytes)
            hashes.append(DigestIndex.itemHash(key: bytes, stateHash: DigestIndex.stateHash(state)))
            if differs { differing[key] = state }
        }
    }

    /// Every `keys / differences`-th key differs, cycling through the three kinds.
    func build() -> (Side, Side) {
        var a = Side()
        var b = Side()
        let stride = keys / differences
        for i in 0..<keys {
            let key = Self.key(i)
            let s = Self.state(i, writer: Self.writerA)
            guard i % stride == 0 && i / stride < differences else {
                a.add(key, s, differs: false)
                b.add(key, s, differs: false)
                continue
            }
            switch (i / stride) % 3 {
            case 0: a.add(key, s, differs: true)
            case 1: b.add(key, s, differs: true)
            default:
                a.add(key, s, differs: true)
                b.add(key, Self.state(i, writer: Self.writerB, bump: 1), differs: true)
            }
        }
        return (a, b)
    }

    func run(_ emit: (BenchMeasurement) -> Void) throws {
        let (a, b) = build()
        var indexes: (DigestIndex, DigestIndex)!
        let indexSeconds = Stopwatch.seconds {
            indexes = (
                DigestIndex(sortedKeys: a.keys, itemHashes: a.hashes),
                DigestIndex(sortedKeys: b.keys, itemHashes: b.hashes)
            )
        }
        var result: Reconciliation!
        var entries: [UInt8] = []
        let seconds = try Stopwatch.seconds {
            result = try reconcile(indexes.0, indexes.1)
            for k in result.aSends {
                entries += RepairEntry(key: k, state: a.differing[k]!, context: context(a.differing[k]!)).encoded()
            }
            for k in result.bSends {
                entries += RepairEntry(key: k, state: b.differing[k]!, context: context(b.differing[k]!)).encoded()
            }
        }
        precondition(
            Set(result.aSends) == Set(a.differing.keys) && Set(result.bSends) == Set(b.differing.keys),
            "repair must find exactly the differing keys"
        )
        let baseline = Double(Zstd.compress(entries, level: 3).count)
        let tag = "n=\(keys).d=\(differences)"
        emit(
            BenchMeasurement(
                name: "repair.bytes.\(tag)",
                value: Double(result.bytes + entries.count),
                unit: "bytes",
                baseline: "zstd3.differing-entries",
                baselineValue: baseline
            )
        )
        emit(
            BenchMeasurement(
                name: "repair.bytes-zstd-entries.\(tag)",
                value: Double(result.bytes) + baseline,
                unit: "bytes",
                baseline: "zstd3.differing-entries",
                baselineValue: baseline
            )
        )
        emit(BenchMeasurement(name: "repair.messages.\(tag)", value: Double(result.messages), unit: "messages"))
        emit(BenchMeasurement(name: "repair.time.\(tag)", value: seconds, unit: "s"))
        emit(BenchMeasurement(name: "repair.index-build.\(tag)", value: indexSeconds, unit: "s"))
    }

    func context(_ s: KeyState) -> CausalContext { CausalContext(vector: s.version) }

    struct Reconciliation {
        var aSends: [String] = []
        var bSends: [String] = []
        var bytes = 0
        var messages = 0
    }

    /// Both sides of one session, every message through its wire encoding.
    func reconcile(_ a: DigestIndex, _ b: DigestIndex) throws -> Reconciliation {
        var initiator = try RepairSession(index: a)
        var responder = try RepairSession(index: b)
        var out = Reconciliation()
        var next: RepairMessage? = try initiator.start()
        var toResponder = true
        while let message = next {
            let bytes = message.encoded()
            out.bytes += bytes.count
            out.messages += 1
            let decoded = try RepairMessage(decoding: bytes)
            next = toResponder ? try responder.receive(decoded) : try initiator.receive(decoded)
            toResponder.toggle()
        }
        out.aSends = initiator.keysToSend
        out.bSends = responder.keysToSend
        return out
    }
}
