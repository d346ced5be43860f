import LatticeCrypto
import LatticeNode
import LatticeWire
import NIOCore
import NIOPosix
import Testing

@Suite(.timeLimit(.minutes(5))) struct TransportLoopbackTests {
    let server = TestNode()
    let client = TestNode()

    @Test func loopback_carriesFramesOf0And1And65535BytesAnd16MiBIntact() async throws {
        let serverConfiguration = server.configuration(allowing: [client])
        try await withEchoServer(serverConfiguration) { port, _ in
            let connection = try await TransportClient.connect(
                host: "127.0.0.1",
                port: port,
                configuration: client.configuration(allowing: [server])
            )
            #expect(connection.peer.staticKey == server.publicKey)
            #expect(connection.peer.version == WireVersion.current)
            try await connection.run { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                for size in [0, 1, 65_535, 16 * 1024 * 1024] {
                    let frame = WireFrame(type: .sync, payload: Random.bytes(count: size))
                    try await outbound.write(frame)
                    let echoed = try await frames.next()
                    #expect(echoed == frame, "frame of \(size) bytes")
                }
            }
        }
        #expect(server.counters.snapshot.handshakesCompleted == 1)
        #expect(client.counters.snapshot.handshakesCompleted == 1)
        #expect(server.counters.snapshot.failures.isEmpty, "\(server.warnings)")
    }

    @Test func loopback_answersPingsAndCompressesRepetitivePayloads() async throws {
        try await withEchoServer(server.configuration(allowing: [client])) { port, _ in
            let connection = try await TransportClient.connect(
                host: "127.0.0.1",
                port: port,
                configuration: client.configuration(allowing: [server])
            )
            try await connection.run { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                try await outbound.write(WireFrame(type: .ping, payload: [1, 2, 3]))
                #expect(try await frames.next() == WireFrame(type: .pong, payload: [1, 2, 3]))
                let repetitive = WireFrame(type: .sync, payload: Array(repeating: 0xAB, count: 1 << 20))
                try await outbound.write(repetitive)
                #expect(try await frames.next() == repetitive)
            }
        }
    }

    @Test func unknownKey_isRefusedWithALogLineAndACounter() async throws {
        let stranger = TestNode()
        try await withEchoServer(server.configuration(allowing: [client])) { port, _ in
            await #expect(throws: WireError.self) {
                _ = try await TransportClient.connect(
                    host: "127.0.0.1",
                    port: port,
                    configuration: stranger.configuration(allowing: [server])
                )
            }
            try await eventually("the server to count the refusal") { server.counters.snapshot[.peerNotAllowed] == 1 }
            #expect(stranger.counters.snapshot[.truncated] == 1)
            let line = try #require(server.warnings.first)
            #expect(line.contains("reason=peer_not_allowed"))
            #expect(line.contains("peer_key=\(keyPrefix(stranger.publicKey))"))
            #expect(line.contains("peer=127.0.0.1:"))
            #expect(stranger.warnings.first?.contains("may not have this node's key") == true)
        }
    }

    @Test func unknownServerKey_isRefusedByTheClientBeforeMessage3() async throws {
        let impostor = TestNode()
        try await withEchoServer(impostor.configuration(allowing: [client])) { port, _ in
            await #expect(throws: WireError.self) {
                _ = try await TransportClient.connect(
                    host: "127.0.0.1",
                    port: port,
                    configuration: client.configuration(allowing: [server])
                )
            }
            #expect(client.counters.snapshot[.peerNotAllowed] == 1)
            try await eventually("the impostor to see the connection end") {
                impostor.counters.snapshot[.truncated] == 1
            }
            #expect(impostor.counters.snapshot.handshakesCompleted == 0)
        }
    }

    @Test func wrongNetwork_failsTheHandshake() async throws {
        try await withEchoServer(server.configuration(network: "red", allowing: [client])) { port, _ in
            await #expect(throws: WireError.self) {
                _ = try await TransportClient.connect(
                    host: "127.0.0.1",
                    port: port,
                    configuration: client.configuration(network: "blue", allowing: [server])
                )
            }
            #expect(client.counters.snapshot[.handshake] == 1)
            #expect(client.warnings.first?.contains("another network") == true)
            try await eventually("the server to count the cut handshake") { server.counters.snapshot[.truncated] == 1 }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct HandshakeFailureTests {
    let server = TestNode()
    let client = TestNode()

    @Test func truncatedHandshake_isCountedAndLogged() async throws {
        try await withEchoServer(server.configuration(allowing: [client])) { port, _ in
            try await RawPeer.connect(port: port) { peer in
                var driver = client.rawDriver(allowing: [server])
                let message1 = try driver.start()
                try await peer.sendRaw([0, UInt8(message1.count)] + message1.prefix(10))
            }
            try await eventually("the server to count the truncated handshake") {
                server.counters.snapshot[.truncated] == 1
            }
            #expect(server.warnings.first?.contains("reason=truncated") == true)
            #expect(server.warnings.first?.contains("during the handshake after 0 message(s)") == true)
        }
    }

    @Test func silentPeer_hitsTheHandshakeDeadline() async throws {
        let configuration = server.configuration(allowing: [client], handshakeTimeout: .milliseconds(200))
        try await withEchoServer(configuration) { port, _ in
            try await RawPeer.connect(port: port) { peer in try await peer.waitForClose() }
            #expect(server.counters.snapshot[.handshakeTimeout] == 1)
            #expect(server.warnings.first?.contains("reason=handshake_timeout") == true)
        }
    }
}
