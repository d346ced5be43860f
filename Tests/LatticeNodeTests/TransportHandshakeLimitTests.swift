import LatticeCrypto
import LatticeNode
import LatticeWire
import Testing

/// A flood of connections that never finish their handshake is refused at accept once
/// `handshakesPendingMax` are in progress; the server keeps serving afterwards.
@Suite(.timeLimit(.minutes(5))) struct TransportHandshakeLimitTests {
    var server = TestNode()
    var client = TestNode()

    @Test func connectionsPastThePendingHandshakeLimit_areClosedAtOnce_andTheServerKeepsServing() async throws {
        var configuration = server.configuration(allowing: [client])
        configuration.handshakesPendingMax = 2
        try await withEchoServer(configuration) { port, listener in
            // Two silent connections hold both slots (they never send message 1).
            try await RawPeer.connect(port: port) { first in
                try await RawPeer.connect(port: port) { second in
                    try await eventually("both silent connections hold a slot") { listener.handshakesInProgress == 2 }
                    // The third is closed by the server before any handshake byte.
                    try await RawPeer.connect(port: port) { third in try await third.waitForClose() }
                    try await eventually("the refusal is counted") { server.counters.snapshot.refusedBusy == 1 }
                    #expect(server.warnings.contains { $0.contains("too many handshakes in progress") })
                    // Bad input ends the silent handshakes at once, which frees their slots.
                    for peer in [first, second] { try await peer.sendRaw([0xFF, 0xFF]) }
                    try await eventually("the slots are free") { listener.handshakesInProgress == 0 }
                }
            }
            let good = try await TransportClient.connect(
                host: "127.0.0.1",
                port: port,
                configuration: client.configuration(allowing: [server])
            )
            try await good.run { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                let frame = WireFrame(type: .sync, payload: Random.bytes(count: 100))
                try await outbound.write(frame)
                #expect(try await frames.next() == frame)
            }
            #expect(server.counters.snapshot.refusedBusy == 1)
        }
    }
}
