import Foundation
import LatticeCore
import LatticeNode
import LatticeOps
import LatticeStore
import LatticeSync
import Testing

/// Real nodes over TCP on 127.0.0.1: encrypted transport, durable store, the sync engine and
/// the adaptive scheduler together.
@Suite("Replication over the network", .serialized)
struct ReplicationTests {
    /// Every node writes every CRDT type concurrently; all converge to the same values, and
    /// the values are the ones the types promise (counter sums, set unions, LWW winner shared).
    @Test("3 and 5 nodes converge after concurrent writes of every type", arguments: [3, 5])
    func concurrentWritesConverge(nodes count: Int) async throws {
        let cluster = try LocalCluster(count: count)
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                let node = cluster.node(i)
                group.addTask {
                    for round in 0..<5 {
                        try await node.write(tenant: "default", key: "hits", .increment(by: Int64(i + 1)))
                        try await node.write(tenant: "default", key: "owner", .assign(.string("n\(i + 1)-\(round)")))
                        try await node.write(tenant: "default", key: "draft", .assignMultiValue(.int(Int64(i))))
                        try await node.write(tenant: "default", key: "members", .add(.string("n\(i + 1)")))
                        try await node.write(
                            tenant: "default",
                            key: "profile",
                            .update(field: "n\(i + 1)", .increment(by: 1))
                        )
                        try await node.write(tenant: "default", key: "scratch-\(i)", .add(.int(Int64(round))))
                    }
                    try await node.write(tenant: "default", key: "members", .remove(.string("n\(i + 1)")))
                    try await node.write(tenant: "default", key: "members", .add(.string("kept-\(i + 1)")))
                    try await node.write(tenant: "default", key: "scratch-\(i)", .clear)
                }
            }
            try await group.waitForAll()
        }
        let keys = ["hits", "owner", "draft", "members", "profile"] + (0..<count).map { "scratch-\($0)" }
        try await cluster.waitUntil("every node has the same value of every key") {
            let rows = try await cluster.values("default", keys)
            return rows.allSatisfy { $0 == rows[0] } && rows[0][0]?.counter.value == Int64(5 * count * (count + 1) / 2)
        }
        let row = try await cluster.values("default", keys)[0]
        #expect(row[0]?.counter.value == Int64(5 * count * (count + 1) / 2))
        #expect(row[1]?.register.value != nil)
        #expect(row[3]?.set.elements == Set((1...count).map { Scalar.string("kept-\($0)") }))
        #expect(row[4]?.map.fields.count == count)
        #expect(row[4]?.map.fields.values.allSatisfy { $0.counter.value == 5 } == true)
        for i in 0..<count { #expect(row[5 + i] == nil, "scratch-\(i) was cleared and must stay deleted") }
    }

    /// Writes made together while the peer is connected leave in one `pushes` message per
    /// coalescing window, not one message each.
    @Test("a burst of writes reaches a connected peer in fewer messages than writes")
    func burstOfWrites_isCoalesced() async throws {
        let cluster = try LocalCluster(count: 2)
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        @Sendable func peerField(_ node: Int, _ name: String) async -> JSONValue? {
            guard case .array(let peers)? = await cluster.node(node).peersDocument()["peers"] else { return nil }
            return peers.first?[name]
        }
        try await cluster.waitUntil("both nodes see each other connected") {
            let states = [await peerField(0, "state"), await peerField(1, "state")]
            return states.allSatisfy { $0?.stringValue == "connected" }
        }
        let writes = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<writes {
                group.addTask {
                    try await cluster.node(0).write(tenant: "default", key: "burst-\(i % 10)", .increment(by: 1))
                }
            }
            try await group.waitForAll()
        }
        try await cluster.waitUntil("n2 has every write") {
            var total: Int64 = 0
            for i in 0..<10 {
                total += try await cluster.node(1).value(tenant: "default", key: "burst-\(i)")?.counter.value ?? 0
            }
            return total == Int64(writes)
        }
        let applied = await cluster.node(1).syncCounters.pushesApplied
        let messages = await peerField(1, "messages_in")?.intValue ?? 0
        #expect(applied > 0, "the writes travelled as pushes")
        #expect(messages < Int64(applied), "\(applied) pushes arrived in \(messages) messages")
    }

    /// Rounds between nodes that hold the same data change nothing, so they commit nothing:
    /// an idle testnet (or an edge device) does not fsync on every summary it answers.
    @Test("rounds between converged nodes make no durable commits")
    func idleRounds_commitNothing() async throws {
        let cluster = try LocalCluster(count: 2)
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        try await cluster.node(0).write(tenant: "default", key: "k", .increment(by: 1))
        try await cluster.waitUntil("n2 has the write") {
            try await cluster.node(1).value(tenant: "default", key: "k")?.counter.value == 1
        }
        @Sendable func field(_ node: Int, _ name: String) async -> Int64 {
            await cluster.node(node).statusDocument(version: "test")[name]?.intValue ?? -1
        }
        // Let the rounds in flight when the write landed finish and commit.
        let settled = await field(1, "rounds_completed") + 2
        try await cluster.waitUntil("n2 completes two more rounds") {
            _ = await cluster.node(1).syncNow()
            return await field(1, "rounds_completed") >= settled
        }
        let before = [await field(0, "checkpoints"), await field(1, "checkpoints")]
        let target = [await field(0, "rounds_completed") + 3, await field(1, "rounds_completed") + 3]
        try await cluster.waitUntil("both complete three more rounds") {
            _ = await cluster.node(0).syncNow()
            _ = await cluster.node(1).syncNow()
            let done = [await field(0, "rounds_completed"), await field(1, "rounds_completed")]
            return done[0] >= target[0] && done[1] >= target[1]
        }
        let after = [await field(0, "checkpoints"), await field(1, "checkpoints")]
        #expect(before.allSatisfy { $0 > 0 }, "the write and its replication were committed: \(before)")
        #expect(after == before, "idle rounds committed: \(before) -> \(after)")
    }

    /// A node stopped and restarted on the same data directory keeps its replica id and data,
    /// and catches up with what it missed.
    @Test("a node restarted with its data converges")
    func restartWithData() async throws {
        let cluster = try LocalCluster(count: 3)
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        try await cluster.node(0).write(tenant: "default", key: "before", .assign(.string("v1")))
        try await cluster.waitUntil("n2 has 'before'") {
            try await cluster.node(1).value(tenant: "default", key: "before") != nil
        }
        let replica = cluster.node(1).replica
        await cluster.stop(1)
        try await cluster.node(0).write(tenant: "default", key: "while-down", .increment(by: 7))
        try await cluster.node(2).write(tenant: "default", key: "before", .assign(.string("v2")))
        try await cluster.start(1)
        #expect(cluster.node(1).replica == replica, "same data directory, same replica id")
        #expect(try await cluster.node(1).value(tenant: "default", key: "before") != nil, "its own data survived")
        try await cluster.waitUntil("n2 caught up") {
            let v = cluster.node(1)
            let counter = try await v.value(tenant: "default", key: "while-down")?.counter.value
            let register = try await v.value(tenant: "default", key: "before")?.register.value
            return counter == 7 && register == .string("v2")
        }
    }

    /// A node whose data directory was lost comes back with a new replica id (so it never
    /// reissues its old dots) and receives a full copy, without resurrecting deleted keys.
    @Test("a node restarted empty takes a new replica id and gets a full copy without resurrecting deletes")
    func restartEmpty() async throws {
        let cluster = try LocalCluster(count: 3)
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        for k in 0..<20 { try await cluster.node(0).write(tenant: "default", key: "k\(k)", .add(.int(Int64(k)))) }
        try await cluster.node(1).write(tenant: "default", key: "doomed", .assign(.string("x")))
        try await cluster.waitUntil("all nodes have k19 and doomed") {
            let rows = try await cluster.values("default", ["k19", "doomed"])
            return rows.allSatisfy { $0.allSatisfy { $0 != nil } }
        }
        let oldReplica = cluster.node(1).replica
        try await cluster.wipe(1)
        try await cluster.node(0).write(tenant: "default", key: "doomed", .clear)
        try await cluster.start(1)
        #expect(cluster.node(1).replica != oldReplica, "an empty directory must get a new replica id")
        let keys = (0..<20).map { "k\($0)" } + ["doomed"]
        try await cluster.waitUntil("the wiped node has every key") {
            let rows = try await cluster.values("default", keys, nodes: [1])
            return rows[0].prefix(20).allSatisfy { $0 != nil }
        }
        try await cluster.node(1).write(tenant: "default", key: "marker", .assign(.bool(true)))
        try await cluster.waitUntil("n1 sees the wiped node's new write") {
            try await cluster.node(0).value(tenant: "default", key: "marker") != nil
        }
        for i in 0..<3 {
            #expect(
                try await cluster.node(i).value(tenant: "default", key: "doomed") == nil,
                "n\(i + 1) resurrected 'doomed'"
            )
        }
    }

    /// n3 may read `default` but not `secret` on n1 and n2: it receives none of `secret`.
    @Test("a peer without read permission on a tenant receives none of it")
    func permissionsOverTCP() async throws {
        let cluster = try LocalCluster(count: 3, tenants: ["default", "secret"]) { a, b in
            b == 2 && a != 2 ? ["default": .readWrite] : ["default": .readWrite, "secret": .readWrite]
        }
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        try await cluster.node(0).write(tenant: "secret", key: "launch-code", .assign(.string("0000")))
        try await cluster.node(0).write(tenant: "default", key: "public", .assign(.string("hello")))
        try await cluster.waitUntil("n2 has the secret and n3 the public key") {
            let secret = try await cluster.node(1).value(tenant: "secret", key: "launch-code")
            let visible = try await cluster.node(2).value(tenant: "default", key: "public")
            return secret != nil && visible != nil
        }
        // Let several anti-entropy rounds pass between n3 and the others.
        _ = await cluster.node(2).syncNow()
        try await cluster.node(1).write(tenant: "default", key: "later", .increment(by: 1))
        try await cluster.waitUntil("n3 has a later write") {
            try await cluster.node(2).value(tenant: "default", key: "later") != nil
        }
        #expect(try await cluster.node(2).keys(tenant: "secret").isEmpty, "n3 must receive nothing of 'secret'")
        let tenants = await cluster.node(2).tenantsDocument()
        #expect("\(tenants)".contains("launch") == false)
    }

    /// A record lost on one node's disk while its vectors still claim it: pulls cannot see the
    /// loss (both sides' vectors agree); digest repair finds and restores it.
    @Test("digest repair restores a record lost on disk that vectors cannot see")
    func repairRestoresLostRecord() async throws {
        let cluster = try LocalCluster(count: 2)
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        for k in 0..<30 {
            try await cluster.node(0).write(tenant: "default", key: "k\(k)", .increment(by: Int64(k + 1)))
        }
        try await cluster.waitUntil("n2 has every key") {
            try await cluster.node(1).keys(tenant: "default").count == 30
        }
        await cluster.stop(1)
        let (directory, masterKey) = cluster.storage(1)
        let store = try Store.open(directory: directory, masterKey: masterKey)
        let replicas = try await ReplicaStore.open(store)
        let replica = try replicas.loadReplica(tenant: "default")
        try await replicas.checkpoint(
            tenant: "default",
            states: [("k7", nil)],
            context: replica.context,
            complete: replica.complete
        )
        store.close()
        try await cluster.start(1)
        let rounds = { @Sendable in await cluster.node(1).statusDocument(version: "")["rounds_completed"]?.intValue ?? 0
        }
        let before = await rounds()
        _ = await cluster.node(1).syncNow()
        try await cluster.waitUntil("n2 completes a pull after restarting") { await rounds() > before }
        #expect(try await cluster.node(1).value(tenant: "default", key: "k7") == nil, "vectors cannot see the loss")
        #expect(await cluster.node(1).repairNow() == 1)
        try await cluster.waitUntil("repair restored k7 on n2") {
            try await cluster.node(1).value(tenant: "default", key: "k7")?.counter.value == 8
        }
    }

    /// A node restored from a backup of its own directory, then given a new replica id (as
    /// `lattice renew-replica-id` does), loses neither the writes it made after the backup (its
    /// peers return them) nor the ones it makes after the restore.
    @Test("a node restored from a backup and given a new replica id loses no write")
    func restoreFromBackup() async throws {
        let cluster = try LocalCluster(count: 2)
        defer { Task { await cluster.shutdown() } }
        try await cluster.startAll()
        let (directory, masterKey) = cluster.storage(1)
        try await cluster.node(1).write(tenant: "default", key: "before", .increment(by: 1))
        try await cluster.waitUntil("n1 has 'before'") {
            try await cluster.node(0).value(tenant: "default", key: "before") != nil
        }
        await cluster.stop(1)
        try FileManager.default.copyItem(atPath: directory, toPath: directory + ".backup")
        try await cluster.start(1)
        let original = cluster.node(1).replica
        try await cluster.node(1).write(tenant: "default", key: "after-backup", .increment(by: 2))
        try await cluster.waitUntil("n1 has 'after-backup'") {
            try await cluster.node(0).value(tenant: "default", key: "after-backup") != nil
        }
        await cluster.stop(1)
        try FileManager.default.removeItem(atPath: directory)
        try FileManager.default.moveItem(atPath: directory + ".backup", toPath: directory)
        // Without this step the restored node reuses the numbers of 'after-backup' and n1 drops
        // 'after-restore' as already known (checked by hand: the wait below times out).
        let store = try Store.open(directory: directory, masterKey: masterKey)
        let (old, _) = try await ReplicaStore.renewReplicaID(store)
        store.close()
        #expect(old == original)
        try await cluster.start(1)
        #expect(cluster.node(1).replica != original)
        try await cluster.node(1).write(tenant: "default", key: "after-restore", .increment(by: 5))
        try await cluster.waitUntil("both nodes hold all three writes") {
            var all = true
            for i in 0..<2 {
                for (key, value) in [("before", 1), ("after-backup", 2), ("after-restore", 5)] {
                    let v = try await cluster.node(i).value(tenant: "default", key: key)?.counter.value
                    all = all && v == Int64(value)
                }
            }
            return all
        }
    }
}
