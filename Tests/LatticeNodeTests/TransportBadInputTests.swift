import LatticeCrypto
import LatticeNode
import LatticeWire
import Testing

/// Each bad input must close only its own connection: a good connection on the same
/// listener keeps working, and the failure is counted under its reason.
@Suite(.timeLimit(.minutes(5))) struct TransportBadInputTests {
    var server = TestNode()
    var client = TestNode()
    var attacker = TestNode()

    /// Opens a good connection, runs `attack` on a second one, then checks the first still echoes.
    func expectIsolated(
        reason: WireError.Code,
        count: Int = 1,
        _ attack: @escaping (_ port: Int) async throws -> Void
    ) async throws {
        try await withEchoServer(server.configuration(allowing: [client, attacker])) { port, _ in
            let good = try await TransportClient.connect(
                host: "127.0.0.1",
                port: port,
                configuration: client.configuration(allowing: [server])
            )
            try await good.run { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                try await attack(port)
                try await eventually("\(count) failure(s) counted as \(reason)") {
                    server.counters.snapshot[reason] == count
                }
                let frame = WireFrame(type: .sync, payload: Random.bytes(count: 1000))
                try await outbound.write(frame)
                #expect(try await frames.next() == frame, "the good connection stopped working")
            }
            #expect(server.counters.snapshot.failures == [reason: count], "\(server.warnings)")
            #expect(server.warnings.allSatisfy { $0.contains("reason=\(reason)") })
        }
    }

    @Test func oversizedHandshakeLengthPrefix_closesOnlyThatConnection() async throws {
        try await expectIsolated(reason: .messageLength) { port in
            try await RawPeer.connect(port: port) { peer in
                try await peer.sendRaw([0xFF, 0xFF])
                try await peer.waitForClose()
            }
        }
    }

    @Test func transportMessageShorterThanItsTag_closesOnlyThatConnection() async throws {
        try await expectIsolated(reason: .messageLength) { [self] port in
            try await RawPeer.connect(port: port) { peer in
                _ = try await peer.handshake(attacker.rawDriver(allowing: [server]))
                try await peer.send([1, 2, 3])
                try await peer.waitForClose()
            }
        }
    }

    @Test func everyFlippedByteOfATransportMessage_closesOnlyThatConnection() async throws {
        let length = FrameHeader.byteCount + 8 + WireLimits.transportTagBytes
        try await expectIsolated(reason: .authentication, count: length) { [self] port in
            for index in 0..<length {
                try await RawPeer.connect(port: port) { peer in
                    var session = try await peer.handshake(attacker.rawDriver(allowing: [server]))
                    var message = try session.seal(WireFrame(type: .pong, payload: Array(repeating: 7, count: 8)))[0]
                    message[index] ^= 0x80
                    try await peer.send(message)
                    try await peer.waitForClose()
                }
            }
        }
    }

    @Test func replayedTransportMessage_closesOnlyThatConnection() async throws {
        try await expectIsolated(reason: .authentication) { [self] port in
            try await RawPeer.connect(port: port) { peer in
                var session = try await peer.handshake(attacker.rawDriver(allowing: [server]))
                let ping = try session.seal(WireFrame(type: .ping, payload: [9]))[0]
                try await peer.send(ping)
                let pong = try #require(try await peer.receive())
                #expect(try session.open(pong) == [WireFrame(type: .pong, payload: [9])])
                try await peer.send(ping)
                try await peer.waitForClose()
            }
        }
    }

    @Test func frameAnnouncedPastFrameBytesMax_closesBeforeItsPayloadArrives() async throws {
        try await expectIsolated(reason: .frameTooLarge) { [self] port in
            try await RawPeer.connect(port: port) { peer in
                var session = try await peer.handshake(attacker.rawDriver(allowing: [server]))
                var header: [UInt8] = []
                FrameHeader(type: .sync, flags: [], payloadLength: WireLimits.frameBytesMax + 1)
                    .encode(into: &header)
                try await peer.send(try session.sealMessage(header))
                try await peer.waitForClose()
            }
        }
    }

    @Test func oversizedPing_closesOnlyThatConnection() async throws {
        try await expectIsolated(reason: .frameTooLarge) { [self] port in
            try await RawPeer.connect(port: port) { peer in
                var session = try await peer.handshake(attacker.rawDriver(allowing: [server]))
                let ping = WireFrame(type: .ping, payload: Random.bytes(count: WireLimits.pingPayloadBytesMax + 1))
                for message in try session.seal(ping) { try await peer.send(message) }
                try await peer.waitForClose()
            }
        }
    }
}

/// Decompression bombs: each closes only its connection, and nothing near the expanded
/// size is ever allocated (decompression stops at `frameBytesMax`).
@Suite(.timeLimit(.minutes(5))) struct DecompressionBombTests {
    let server = TestNode()
    let client = TestNode()
    let attacker = TestNode()

    static let bombs: [(name: String, frame: [UInt8])] = [
        ("1 KiB expanding to 32 MiB", ZstdBomb.frame(blocks: 255)),
        ("32 KiB expanding to 1 GiB", ZstdBomb.frame(blocks: 8192)),
        ("header claiming 100 bytes, expanding to 32 MiB", ZstdBomb.frame(blocks: 255, declaredSize: 100)),
        ("header claiming 1 TiB, holding 128 KiB", ZstdBomb.frame(blocks: 1, declaredSize: 1 << 40)),
        ("header claiming 16 MiB, expanding to 1 GiB", ZstdBomb.frame(blocks: 8192, declaredSize: 16 << 20)),
    ]

    @Test(arguments: 0..<bombs.count)
    func bomb_closesOnlyItsConnectionWithinTheLimit(index: Int) async throws {
        let bomb = Self.bombs[index]
        #expect(bomb.frame.count <= 33 * 1024, "\(bomb.name)")
        let suite = TransportBadInputTests(server: server, client: client, attacker: attacker)
        try await suite.expectIsolated(reason: .decompression) { [self] port in
            try await RawPeer.connect(port: port) { peer in
                var session = try await peer.handshake(attacker.rawDriver(allowing: [server]))
                var stream: [UInt8] = []
                FrameHeader(type: .sync, flags: .compressed, payloadLength: bomb.frame.count)
                    .encode(into: &stream)
                stream += bomb.frame
                for start in stride(from: 0, to: stream.count, by: WireLimits.transportPlaintextBytesMax) {
                    let end = min(start + WireLimits.transportPlaintextBytesMax, stream.count)
                    try await peer.send(try session.sealMessage(Array(stream[start..<end])))
                }
                try await peer.waitForClose()
            }
        }
        let peak = try #require(peakResidentBytes())
        #expect(peak < 512 * 1024 * 1024, "peak RSS \(peak) bytes after \(bomb.name)")
        #expect(server.warnings.first?.contains("frameBytesMax") == true, "\(server.warnings)")
    }
}
