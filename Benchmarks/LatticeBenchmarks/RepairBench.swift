import LatticeCompression
import LatticeCore
import LatticeSync

/// `lattice bench repair`: digest repair between two replicas of 1,000,000 keys (10,000
/// with --quick) that differ in d = 1, 100 and 10,000 keys (capped at 1% with --quick):
/// a third only on one side, a third only on the other, a third changed on both.
///
/// Bytes, as the wire carries them: every reconciliation message (zstd level 3 when that
/// is smaller, as frames are compressed) plus each direction's differing entries as one
/// zstd level-3 stream; against those same compressed entries alone, the least a transfer
/// of only the differences could cost (each direction is its own stream, so the baseline
/// is two streams too). The ratio is therefore 1 + reconciliation / entries. Counts of
/// ranges, syndromes and found positions show where the reconciliation bytes go. Time:
/// reconciliation on both sides (every message encoded and decoded) plus encoding the
/// entries. Building the digest indexes is reported apart: a store keeps them up to date.
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
        var entries: (aToB: [UInt8], bToA: [UInt8]) = ([], [])
        let seconds = try Stopwatch.seconds {
            result = try reconcile(indexes.0, indexes.1)
            entries.aToB = encodedEntries(result.aSends, a)
            entries.bToA = encodedEntries(result.bSends, b)
        }
        precondition(
            Set(result.aSends) == Set(a.differing.keys) && Set(result.bSends) == Set(b.differing.keys),
            "repair must find exactly the differing keys"
        )
        let entriesZstd = Zstd.compress(entries.aToB, level: 3).count + Zstd.compress(entries.bToA, level: 3).count
        emitFigures(result, entriesZstd: entriesZstd, seconds: seconds, indexSeconds: indexSeconds, emit)
    }

    func encodedEntries(_ keys: [String], _ side: Side) -> [UInt8] {
        var bytes: [UInt8] = []
        for k in keys {
            let s = side.differing[k]!
            bytes += RepairEntry(key: k, state: s, context: CausalContext(vector: s.version)).encoded()
        }
        return bytes
    }

    /// The baseline is each direction's differing entries as one zstd level-3 stream (the
    /// least a transfer of only the differences could cost); the measured side sends the
    /// same compressed entries plus every reconciliation message as the wire carries it
    /// (zstd level 3 when that is smaller, as frames are compressed).
    func emitFigures(
        _ result: Reconciliation,
        entriesZstd: Int,
        seconds: Double,
        indexSeconds: Double,
        _ emit: (BenchMeasurement) -> Void
    ) {
        let tag = "n=\(keys).d=\(differences)"
        let baseline = Double(entriesZstd)
        emit(
            BenchMeasurement(
                name: "repair.bytes.\(tag)",
                value: Double(result.wireBytes + entriesZstd),
                unit: "bytes",
                baseline: "zstd3.differing-entries",
                baselineValue: baseline
            )
        )
        emit(BenchMeasurement(name: "repair.reconcile-bytes.\(tag)", value: Double(result.wireBytes), unit: "bytes"))
        emit(BenchMeasurement(name: "repair.reconcile-raw.\(tag)", value: Double(result.rawBytes), unit: "bytes"))
        emit(BenchMeasurement(name: "repair.ranges.\(tag)", value: Double(result.ranges), unit: "ranges"))
        emit(BenchMeasurement(name: "repair.syndromes.\(tag)", value: Double(result.syndromes), unit: "syndromes"))
        emit(BenchMeasurement(name: "repair.found.\(tag)", value: Double(result.found), unit: "positions"))
        emit(BenchMeasurement(name: "repair.messages.\(tag)", value: Double(result.messages), unit: "messages"))
        emit(BenchMeasurement(name: "repair.time.\(tag)", value: seconds, unit: "s"))
        emit(BenchMeasurement(name: "repair.index-build.\(tag)", value: indexSeconds, unit: "s"))
    }

    struct Reconciliation {
        var aSends: [String] = []
        var bSends: [String] = []
        /// Encoded message bytes, and what the wire carries (zstd when smaller).
        var rawBytes = 0
        var wireBytes = 0
        var messages = 0
        var ranges = 0
        var syndromes = 0
        var found = 0

        mutating func count(_ message: RepairMessage, encoded bytes: [UInt8]) {
            rawBytes += bytes.count
            wireBytes += min(bytes.count, Zstd.compress(bytes, level: 3).count)
            messages += 1
            ranges += message.ranges.count
            syndromes += message.syndromeCount
            found += message.foundCount
        }
    }

    /// Both sides of one session (session id 1 salts the item ids), every message through its
    /// wire encoding.
    func reconcile(_ a: DigestIndex, _ b: DigestIndex) throws -> Reconciliation {
        var initiator = try RepairSession(index: a, session: 1)
        var responder = try RepairSession(index: b, session: 1)
        var out = Reconciliation()
        var next: RepairMessage? = try initiator.start()
        var toResponder = true
        while let message = next {
            let bytes = message.encoded()
            out.count(message, encoded: bytes)
            let decoded = try RepairMessage(decoding: bytes)
            next = toResponder ? try responder.receive(decoded) : try initiator.receive(decoded)
            toResponder.toggle()
        }
        out.aSends = initiator.keysToSend
        out.bSends = responder.keysToSend
        return out
    }
}
