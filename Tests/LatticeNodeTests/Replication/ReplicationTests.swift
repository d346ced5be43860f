import LatticeCore
import LatticeNode
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
}
