/// The binary encoding of values, causal contexts and deltas: `Protocols/crdt-encoding-v1.md`.
///
/// Encodings are canonical — one state has exactly one encoding — so a hash of the bytes
/// can serve as a digest. Decoding checks every count against `CoreLimits` before it
/// allocates and rejects anything non-canonical.
public enum CRDTCodec {
    /// The first byte of every record.
    public static let formatVersion: UInt8 = 1

    /// The second byte of every record.
    public enum Kind: UInt8, Sendable {
        case value = 1
        case context = 2
        case causal = 3
    }

    // MARK: Encoding

    public static func encode(_ value: CRDTValue) -> [UInt8] {
        var table = ReplicaTable()
        value.forEachDot { table.note($0.replica) }
        return record(.value, table) { w, t in encodeValue(value, &w, t) }
    }

    public static func encode(_ context: CausalContext) -> [UInt8] {
        var table = ReplicaTable()
        table.note(context)
        return record(.context, table) { w, t in encodeContext(context, &w, t) }
    }

    public static func encode(_ causal: Causal<CRDTValue>) -> [UInt8] {
        var table = ReplicaTable()
        table.note(causal.context)
        causal.store.forEachDot { table.note($0.replica) }
        return record(.causal, table) { w, t in
            encodeContext(causal.context, &w, t)
            encodeValue(causal.store, &w, t)
        }
    }

    private static func record(
        _ kind: Kind,
        _ table: ReplicaTable,
        _ body: (inout ByteWriter, ReplicaTable.Frozen) -> Void
    ) -> [UInt8] {
        var w = ByteWriter()
        w.byte(formatVersion)
        w.byte(kind.rawValue)
        let frozen = table.freeze()
        w.varint(frozen.ids.count)
        for id in frozen.ids { w.raw(id.bytes) }
        body(&w, frozen)
        return w.bytes
    }

    static func encodeContext(_ c: CausalContext, _ w: inout ByteWriter, _ t: ReplicaTable.Frozen) {
        let entries = c.vector.entries
        w.varint(entries.count)
        for e in entries {
            w.varint(t.index[e.replica]!)
            w.varint(e.counter)
        }
        let cloud = c.cloud.sorted()
        w.varint(cloud.count)
        for d in cloud { encodeDot(d, &w, t) }
    }

    static func encodeDot(_ d: Dot, _ w: inout ByteWriter, _ t: ReplicaTable.Frozen) {
        w.varint(t.index[d.replica]!)
        w.varint(d.counter)
    }

    static func encodeValue(_ v: CRDTValue, _ w: inout ByteWriter, _ t: ReplicaTable.Frozen) {
        var flags: UInt8 = 0
        for type in v.types { flags |= 1 << (type.rawValue - 1) }
        w.byte(flags)
        if !v.counter.isEmpty {
            encodeEntries(v.counter.entries, &w, t) { e, w in
                w.varint(e.increments)
                w.varint(e.decrements)
            }
        }
        if !v.register.isEmpty {
            encodeEntries(v.register.entries, &w, t) { s, w in
                w.varint(s.timestamp.rawValue)
                encodeScalar(s.value, &w)
            }
        }
        if !v.mvRegister.isEmpty { encodeEntries(v.mvRegister.entries, &w, t) { s, w in encodeScalar(s, &w) } }
        if !v.set.isEmpty {
            let members = v.set.members.sorted { $0.key < $1.key }
            w.varint(members.count)
            for (element, dots) in members {
                encodeScalar(element, &w)
                w.varint(dots.count)
                for d in dots.sorted() { encodeDot(d, &w, t) }
            }
        }
        if !v.map.isEmpty {
            let fields = v.map.fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            w.varint(fields.count)
            for (name, nested) in fields {
                w.lengthPrefixed(Array(name.utf8))
                encodeValue(nested, &w, t)
            }
        }
    }

    private static func encodeEntries<V>(
        _ entries: [Dot: V],
        _ w: inout ByteWriter,
        _ t: ReplicaTable.Frozen,
        _ body: (V, inout ByteWriter) -> Void
    ) {
        w.varint(entries.count)
        for (d, v) in entries.sorted(by: { $0.key < $1.key }) {
            encodeDot(d, &w, t)
            body(v, &w)
        }
    }

    static func encodeScalar(_ s: Scalar, _ w: inout ByteWriter) {
        switch s {
        case .null: w.byte(ScalarTag.null.rawValue)
        case let .bool(b): w.byte(b ? ScalarTag.true.rawValue : ScalarTag.false.rawValue)
        case let .int(i):
            w.byte(ScalarTag.int.rawValue)
            w.signedVarint(i)
        case let .double(d):
            w.byte(ScalarTag.double.rawValue)
            w.fixed64LittleEndian(d.bitPattern)
        case let .string(str):
            w.byte(ScalarTag.string.rawValue)
            w.lengthPrefixed(Array(str.utf8))
        case let .bytes(b):
            w.byte(ScalarTag.bytes.rawValue)
            w.lengthPrefixed(b)
        }
    }

    enum ScalarTag: UInt8 {
        case null = 0
        case `false` = 1
        case `true` = 2
        case int = 3
        case double = 4
        case string = 5
        case bytes = 6
    }
}

/// The replica ids an encoding refers to, written once up front; dots then refer to
/// them by index, which keeps each dot to a few bytes.
struct ReplicaTable {
    private var ids = Set<ReplicaID>()

    mutating func note(_ r: ReplicaID) { ids.insert(r) }

    mutating func note(_ c: CausalContext) {
        for r in c.vector.replicas { ids.insert(r) }
        for d in c.cloud { ids.insert(d.replica) }
    }

    struct Frozen {
        let ids: [ReplicaID]
        let index: [ReplicaID: Int]
    }

    func freeze() -> Frozen {
        let sorted = ids.sorted()
        var index = [ReplicaID: Int](minimumCapacity: sorted.count)
        for (i, r) in sorted.enumerated() { index[r] = i }
        return Frozen(ids: sorted, index: index)
    }
}
