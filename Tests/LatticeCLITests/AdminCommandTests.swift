import Foundation
import LatticeOps
import Testing

/// `lattice admin ...` against a stub node.
@Suite("lattice admin")
struct AdminCommandTests {
    @Test("admin peers prints aligned columns in human units")
    func test_peers_table() async throws {
        let stub = try StubNode()
        try await stub.run {
            let result = try await DataCommandTests.lattice(stub, ["admin", "peers"])
            #expect(result.status == 0, "\(result)")
            let expected = [
                "NAME  ID         ADDRESS         STATE      RTT      GOODPUT    IN       OUT    LAG     NEXT-ROUND  REASON",
                "n2    QUJDREVG…  127.0.0.1:7402  connected  12.3 ms  1.2 MiB/s  5.0 KiB  300 B  app:12  1.5 s"
                    + "       connected to 127.0.0.1:7402",
                "-     MDEyMzQ1…  10.0.0.3:7400   backoff    -        -          0 B      0 B    app:0   4.0 s"
                    + "       3 failures, last: connection refused; retry in 4 s",
            ]
            #expect(result.lines == expected, "\(result)")
        }
    }

    @Test("admin peers --format json prints the node's JSON")
    func test_peers_json() async throws {
        let stub = try StubNode()
        try await stub.run {
            let result = try await DataCommandTests.lattice(stub, ["admin", "peers", "--format", "json"])
            #expect(result.status == 0, "\(result)")
            #expect(try JSONValue.parse(Array(result.stdout.utf8)) == StubNode.peers)
        }
    }

    @Test("admin status and tenants print tables; sync posts its peer; metrics prints Prometheus text")
    func test_status_tenants_sync_metrics() async throws {
        let stub = try StubNode()
        try await stub.run {
            let status = try await DataCommandTests.lattice(stub, ["admin", "status"])
            #expect(status.status == 0, "\(status)")
            #expect(status.lines.first == "name                        n1", "\(status)")
            #expect(status.lines.contains("uptime_seconds              1h 2m"), "\(status)")
            #expect(status.lines.contains("peers.connected             1"), "\(status)")
            #expect(status.lines.contains("scheduler.next_tick_reason  round with n2 due"), "\(status)")

            let tenants = try await DataCommandTests.lattice(stub, ["admin", "tenants"])
            #expect(
                tenants.lines == ["TENANT  KEYS  TOMBSTONES  READERS  WRITERS", "app     1234  3           2        1"]
            )

            let sync = try await DataCommandTests.lattice(stub, ["admin", "sync", "--peer", "n2"])
            #expect(sync.stdout == "scheduled 2 sync rounds\n", "\(sync)")
            #expect(stub.requests.last?.body == ["peer": "n2"])
            let repair = try await DataCommandTests.lattice(stub, ["admin", "sync", "--repair"])
            #expect(repair.stdout == "started 1 repair session\n", "\(repair)")
            #expect(stub.requests.last?.body == ["repair": true])

            let metrics = try await DataCommandTests.lattice(stub, ["admin", "metrics"])
            #expect(metrics.status == 0, "\(metrics)")
            #expect(metrics.stdout.contains("# TYPE lattice_process_start_time_seconds gauge"), "\(metrics)")
        }
    }
}
