import LatticeCore
import LatticeSync
import Testing

/// Digest repair through the engine's messages (encoded and decoded on the way), as nodes run it.
@Suite("Engine digest repair")
struct EngineRepairTests {
    static let idA = ReplicaID(high: 1 << 56, low: 1)
    static let idB = ReplicaID(high: 2 << 56, low: 2)
    static func ts(_ n: Int) -> HLCTimestamp { HLCTimestamp(wallMilliseconds: 1_000 + UInt64(n), logical: 0) }

    /// Two engines and the messages in flight between them.
    struct Pair {
        var a: SyncEngine
        var b: SyncEngine
        var wire: [(to: String, bytes: [UInt8])] = []
        var delivered = 0
        /// The time messages arrive at, in milliseconds.
        var now: UInt64 = 0

        mutating func enqueue(_ outputs: [SyncEngine.Output]) {
            for case let .send(to, message) in outputs { wire.append((to, SyncCodec.encode(message))) }
        }

        /// Delivers until nothing is in flight; every message goes through the codec.
        mutating func run() throws {
            while !wire.isEmpty {
                let (to, bytes) = wire.removeFirst()
                let message = try SyncCodec.decode(bytes)
                delivered += 1
                if to == "a" {
                    enqueue(a.receive(message, from: "b", now: now))
                } else {
                    enqueue(b.receive(message, from: "a", now: now))
                }
            }
        }

        mutating func write(onA: Bool, _ key: String, _ op: CRDTOperation, _ n: Int) throws {
            let outputs =
                onA
                ? try a.write(tenant: "t", key: key, op, at: ts(n)).outputs
                : try b.write(tenant: "t", key: key, op, at: ts(n)).outputs
            enqueue(outputs)
            try run()
        }

        mutating func pullBothWays(now: UInt64) throws {
            enqueue(a.startRound(with: "b", now: now))
            enqueue(b.startRound(with: "a", now: now))
            try run()
        }
    }

    static func engine(_ id: ReplicaID, peer: String, restoring: TenantReplica? = nil) -> SyncEngine {
        let policy = PeerPolicy(id: peer, permissions: ["t": .readWrite])
        var e =
            restoring.map { SyncEngine(replica: id, restoring: ["t": $0], peers: [policy], firstRound: 1_000) }
            ?? SyncEngine(replica: id, tenants: ["t"], peers: [policy])
        e.connected(peer)
        return e
    }

    @Test("a node restored from an old backup that keeps writing converges by repair, where pulls see nothing")
    func restoredBackupRepairedOverMessages() throws {
        var p = Pair(a: Self.engine(Self.idA, peer: "b"), b: Self.engine(Self.idB, peer: "a"))
        for i in 0..<20 { try p.write(onA: true, "shared/\(i)", .increment(by: Int64(i)), i) }
        for i in 0..<5 { try p.write(onA: false, "b/\(i)", .assign(.int(Int64(i))), 100 + i) }
        try p.pullBothWays(now: 1)
        let backup = p.b.tenants["t"]!
        try p.write(onA: false, "lost/1", .assign(.int(1)), 200)
        try p.write(onA: false, "shared/3", .increment(by: 100), 201)

        // Restored: same replica id, state and vectors rolled back; it keeps writing (reusing dots)
        // before it reconnects. (Had its pushes of reused dots reached A, A would have taken them
        // for dots it already knows: a restored data directory must be given a new replica id
        // (`lattice renew-replica-id`) to be safe; repair recovers what the vectors hide, not reused dots A has seen.)
        p.b = Self.engine(Self.idB, peer: "a", restoring: backup)
        p.b.disconnected("a")
        try p.write(onA: false, "after-restore/1", .add(.int(5)), 300)
        try p.write(onA: false, "shared/4", .increment(by: 7), 301)
        p.b.connected("a")
        try p.pullBothWays(now: 100_000)
        #expect(p.a.tenants["t"]!.keys != p.b.tenants["t"]!.keys, "pulls cannot see this divergence")

        p.enqueue(p.a.startRepair(with: "b", now: 200_000))
        try p.run()
        #expect(p.a.tenants["t"]!.keys == p.b.tenants["t"]!.keys)
        #expect(p.a.value(tenant: "t", key: "lost/1") != nil && p.b.value(tenant: "t", key: "after-restore/1") != nil)
        #expect(
            p.a.counters.repairsStarted == 1 && p.a.counters.repairKeysJoined > 0 && p.b.counters.repairKeysJoined > 0
        )

        // A second repair finds nothing to send.
        let before = (p.a.counters.repairKeysSent, p.b.counters.repairKeysSent)
        p.enqueue(p.b.startRepair(with: "a", now: 300_000))
        try p.run()
        #expect(p.a.counters.repairKeysSent == before.0 && p.b.counters.repairKeysSent == before.1)
    }

    @Test("repair is not answered for a peer that may not read the tenant, nor joined from one that may not write")
    func repairRespectsPermissions() throws {
        var reader = SyncEngine(
            replica: Self.idA,
            tenants: ["t"],
            peers: [PeerPolicy(id: "b", permissions: ["t": .write])]
        )
        reader.connected("b")
        var b = Self.engine(Self.idB, peer: "a")
        _ = try b.write(tenant: "t", key: "k", .increment(by: 1), at: Self.ts(1))
        // b asks A for repair; A must not answer (b may not read on A).
        let start = b.startRepair(with: "a", now: 1)
        #expect(start.count == 1)
        for case let .send(_, message) in start {
            #expect(reader.receive(message, from: "b", now: 1).isEmpty)
        }
        #expect(reader.counters.unreadableTenantMessages == 1)
        // Entries from a peer without write permission are refused.
        var strict = SyncEngine(
            replica: Self.idA,
            tenants: ["t"],
            peers: [PeerPolicy(id: "b", permissions: ["t": .read])]
        )
        strict.connected("b")
        let entries = b.tenants["t"]!.repairEntries(for: ["k"])
        let out = strict.receive(
            .repairEntries(tenant: "t", session: 1, entries: entries, last: true),
            from: "b",
            now: 1
        )
        #expect(strict.value(tenant: "t", key: "k") == nil)
        #expect(strict.counters.writesRefused == 1)
        #expect(out.count == 1, "a peer that may read is told its write was refused")
    }

    @Test("two nodes that start repair with each other at the same moment run two independent sessions")
    func simultaneousRepairs() throws {
        var p = Pair(a: Self.engine(Self.idA, peer: "b"), b: Self.engine(Self.idB, peer: "a"))
        p.a.disconnected("b")
        p.b.disconnected("a")
        for i in 0..<30 { try p.write(onA: true, "a/\(i)", .increment(by: 1), i) }
        for i in 0..<30 { try p.write(onA: false, "b/\(i)", .add(.int(Int64(i))), 100 + i) }
        p.a.connected("b")
        p.b.connected("a")
        // Both start at once (same first session id on both sides); every message interleaves.
        p.enqueue(p.a.startRepair(with: "b", now: 1))
        p.enqueue(p.b.startRepair(with: "a", now: 1))
        try p.run()
        #expect(p.a.tenants["t"]!.keys == p.b.tenants["t"]!.keys)
        #expect(p.a.tenants["t"]!.keys.count == 60)
        #expect(p.a.counters.repairsFailed == 0 && p.b.counters.repairsFailed == 0)
        #expect(p.a.counters.unsolicitedBatches == 0 && p.b.counters.unsolicitedBatches == 0)
        // Two whole sessions ran: in each, each side sent its 30 keys the other lacked.
        #expect(p.a.counters.repairKeysSent == 60, "a sent \(p.a.counters.repairKeysSent)")
        #expect(p.b.counters.repairKeysSent == 60, "b sent \(p.b.counters.repairKeysSent)")
    }

    @Test(
        "a peer that starts repair sessions in a loop gets one answered per interval; the rest are dropped and counted"
    )
    func repeatedRepairStarts_areThrottled() throws {
        var a = Self.engine(Self.idA, peer: "b")
        var b = Self.engine(Self.idB, peer: "a")
        for i in 0..<20 { _ = try a.write(tenant: "t", key: "k\(i)", .increment(by: 1), at: Self.ts(i)) }
        // b's sessions time out at once (now jumps past the timeout), so it starts one per call.
        var answered = 0
        for i in 0..<5 {
            let now = UInt64(i) * (SyncEngine.repairTimeoutMilliseconds + 1)
            for case let .send(_, message) in b.startRepair(with: "a", now: now) {
                // All arrive within one interval at a.
                if !a.receive(message, from: "b", now: 1_000 + UInt64(i)).isEmpty { answered += 1 }
            }
        }
        #expect(answered == 1)
        #expect(a.counters.repairsThrottled == 4)
        // After the interval, a new session is answered again.
        for case let .send(_, message) in b.startRepair(with: "a", now: 10 * SyncEngine.repairTimeoutMilliseconds) {
            #expect(!a.receive(message, from: "b", now: 1_000 + SyncEngine.repairResponderIntervalMilliseconds).isEmpty)
        }
        #expect(a.counters.repairsThrottled == 4)
    }
}
