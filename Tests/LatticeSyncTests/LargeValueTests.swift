import LatticeCore
import LatticeSync
import Testing

/// Keys whose states are large (1 MB scalars, the largest a write makes) travel in messages
/// a peer accepts: answers, coalesced pushes and repair transfers all split by bytes, not only
/// by key count.
@Suite("Large values")
struct LargeValueTests {
    static let idA = ReplicaID(high: 1 << 56, low: 1)
    static let idB = ReplicaID(high: 2 << 56, low: 2)
    static let keys = 40
    static func ts(_ n: Int) -> HLCTimestamp { HLCTimestamp(wallMilliseconds: 1_000 + UInt64(n), logical: 0) }

    static func engine(_ id: ReplicaID, peer: String) -> SyncEngine {
        var e = SyncEngine(replica: id, tenants: ["t"], peers: [PeerPolicy(id: peer, permissions: ["t": .readWrite])])
        e.connected(peer)
        return e
    }

    /// A with `keys` keys of 1,000,000-byte strings, and every push those writes made.
    static func writer() throws -> (SyncEngine, [KeyDelta]) {
        var a = engine(idA, peer: "b")
        var deltas: [KeyDelta] = []
        for i in 0..<keys {
            let value = String(repeating: Character(UnicodeScalar(UInt8(65 + i % 26))), count: 1_000_000)
            let (delta, _) = try a.write(tenant: "t", key: "big/\(i)", .assign(.string(value)), at: ts(i))
            deltas.append(delta)
        }
        return (a, deltas)
    }

    /// Delivers every send to the other engine, each through the codec, checking its size.
    static func run(_ a: inout SyncEngine, _ b: inout SyncEngine, _ first: [SyncEngine.Output]) throws -> Int {
        var wire: [(to: String, bytes: [UInt8])] = []
        var largest = 0
        func enqueue(_ outputs: [SyncEngine.Output]) {
            for case let .send(to, message) in outputs {
                let bytes = SyncCodec.encode(message)
                largest = max(largest, bytes.count)
                wire.append((to, bytes))
            }
        }
        enqueue(first)
        while !wire.isEmpty {
            let (to, bytes) = wire.removeFirst()
            let message = try SyncCodec.decode(bytes)
            enqueue(to == "a" ? a.receive(message, from: "b", now: 1) : b.receive(message, from: "a", now: 1))
        }
        return largest
    }

    @Test("a pull of 40 MB of keys arrives in batches the receiver accepts")
    func pullAnswer_isSplitByBytes() throws {
        var (a, _) = try Self.writer()
        var b = Self.engine(Self.idB, peer: "a")
        let largest = try Self.run(&a, &b, b.startRound(with: "a", now: 1))
        #expect(largest <= SyncLimits.messageBytesMax, "largest message \(largest) bytes")
        #expect(b.tenants["t"]!.keys.count == Self.keys)
        #expect(b.tenants["t"]!.keys == a.tenants["t"]!.keys)
    }

    @Test("40 coalesced 1 MB writes leave as several pushes messages, each within the limit, in order")
    func coalescedPushes_areSplitByBytes() throws {
        let (_, deltas) = try Self.writer()
        let messages = SyncMessage.coalescing(deltas.map { ("t", $0) })
        #expect(messages.count > 1)
        var carried: [KeyDelta] = []
        for m in messages {
            #expect(SyncCodec.encode(m).count <= SyncLimits.messageBytesMax)
            switch m {
            case .push(_, let d): carried.append(d)
            case .pushes(_, let ds): carried += ds
            default: Issue.record("unexpected \(m.kind)")
            }
        }
        #expect(carried == deltas)
    }

    @Test("a repair that finds 40 MB of keys missing sends them in messages the receiver accepts")
    func repairTransfer_isSplitByBytes() throws {
        var (a, _) = try Self.writer()
        var b = Self.engine(Self.idB, peer: "a")
        let largest = try Self.run(&a, &b, a.startRepair(with: "b", now: 1))
        #expect(largest <= SyncLimits.messageBytesMax, "largest message \(largest) bytes")
        #expect(b.tenants["t"]!.keys == a.tenants["t"]!.keys)
    }
}
