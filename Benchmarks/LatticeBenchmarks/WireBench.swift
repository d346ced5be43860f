import Dispatch
import LatticeCrypto
import LatticeNode
import LatticeWire
import Logging
import NIOCore

/// `lattice bench wire`: the encrypted, framed transport over loopback TCP against raw
/// ChaCha20-Poly1305 over the same bytes, measured in the same run.
///
/// - Throughput: a client sends 64 KiB frames of random bytes to a server on 127.0.0.1
///   (Noise XX session, length-prefixed transport messages, fragmentation, reassembly,
///   decryption, zstd tried on every frame and skipped because random bytes do not shrink);
///   the clock stops when the server confirms it received them all. The baseline encrypts
///   the same number of bytes with `ChaChaPoly.encrypt` in 65,519-byte messages on one
///   thread, with no I/O. A second figure turns zstd off (what a peer without the zstd
///   capability gets).
/// - Handshakes: completed Noise XX handshakes (with admission) per second, 8 clients at once.
enum WireBench {
    static let frameBytes = 64 * 1024
    static let concurrentHandshakes = 8
    /// Frames handed to the connection per `write(contentsOf:)`, as a sender with a backlog does.
    static let writeBatchFrames = 16

    static let suite = BenchSuite(
        name: "wire",
        summary: "Encrypted framed loopback stream against raw ChaCha20-Poly1305; handshakes per second"
    ) { options, emit in
        let frames = options.quick ? 512 : 16_384
        let handshakes = options.quick ? 64 : 2_000
        let raw = rawEncryptionBytesPerSecond(totalBytes: frames * frameBytes)
        // Unmeasured warm-up: event-loop threads, buffer pools and TCP windows start cold, which
        // otherwise lands on whichever stream runs first.
        _ = try benchBlocking { try await streamBytesPerSecond(frames: min(frames, 1_024), zstd: true) }
        for zstd in [true, false] {
            let rate = try benchBlocking { try await streamBytesPerSecond(frames: frames, zstd: zstd) }
            emit(
                BenchMeasurement(
                    name: zstd ? "wire.stream.64KiB.zstd-tried" : "wire.stream.64KiB.no-zstd",
                    value: rate / 1_048_576,
                    unit: "MiB/s",
                    baseline: "chacha20poly1305.encrypt.65519B",
                    baselineValue: raw / 1_048_576
                )
            )
        }
        let rate = try benchBlocking { try await handshakesPerSecond(count: handshakes) }
        emit(BenchMeasurement(name: "wire.handshakes.8concurrent", value: rate, unit: "hs/s"))
    }

    /// Plaintext bytes per second through `ChaChaPoly.encrypt` in full transport messages.
    static func rawEncryptionBytesPerSecond(totalBytes: Int) -> Double {
        let key = SecretBytes(randomCount: ChaChaPoly.keyBytes)
        let message = Random.bytes(count: WireLimits.transportPlaintextBytesMax)
        let messages = (totalBytes + message.count - 1) / message.count
        // The key and message are valid by construction, so `encrypt` cannot throw here.
        let seconds = Stopwatch.seconds {
            for nonce in 0..<messages {
                _ = try! ChaChaPoly.encrypt(key: key, nonce: UInt64(nonce), ad: [], plaintext: message)
            }
        }
        return Double(messages * message.count) / seconds
    }

    /// A server and a client that admit each other on a fresh network name.
    static func pair(zstd: Bool) -> (server: TransportConfiguration, client: TransportConfiguration) {
        let network = "bench-\(Random.uint64())"
        let serverKeys = X25519KeyPair.generate()
        let clientKeys = X25519KeyPair.generate()
        var server = TransportConfiguration(
            network: network,
            staticKeyPair: serverKeys,
            allowedPeerKeys: [clientKeys.publicKey],
            logger: Logger(label: "bench.wire") { _ in SwiftLogNoOpLogHandler() }
        )
        var client = TransportConfiguration(
            network: network,
            staticKeyPair: clientKeys,
            allowedPeerKeys: [serverKeys.publicKey],
            logger: server.logger
        )
        if !zstd {
            server.handshake.compressor = nil
            client.handshake.compressor = nil
        }
        return (server, client)
    }

    static func streamBytesPerSecond(frames: Int, zstd: Bool) async throws -> Double {
        let (serverConfiguration, clientConfiguration) = pair(zstd: zstd)
        let server = try await TransportServer.bind(host: "127.0.0.1", port: 0, configuration: serverConfiguration)
        let port = server.localAddress!.port!
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { connection in try await sink(connection, frames: frames) } }
            let connection = try await TransportClient.connect(
                host: "127.0.0.1",
                port: port,
                configuration: clientConfiguration
            )
            let payload = Random.bytes(count: frameBytes)
            let clock = ContinuousClock()
            let start = clock.now
            try await connection.run { inbound, outbound in
                let batch = [WireFrame](repeating: WireFrame(type: .sync, payload: payload), count: writeBatchFrames)
                for _ in 0..<frames / writeBatchFrames { try await outbound.write(contentsOf: batch) }
                var replies = inbound.makeAsyncIterator()
                guard try await replies.next() != nil else { throw WireError(.truncated, "no receipt") }
            }
            let elapsed = start.duration(to: clock.now)
            try await server.close()
            try await group.waitForAll()
            return Double(frames * frameBytes) / elapsed.benchSeconds
        }
    }

    /// Counts frames, then sends one receipt.
    static func sink(_ connection: TransportConnection, frames: Int) async throws {
        try await connection.run { inbound, outbound in
            var received = 0
            for try await frame in inbound {
                precondition(frame.payload.count == frameBytes, "a frame arrived cut")
                received += 1
                if received == frames {
                    try await outbound.write(WireFrame(type: .sync, payload: []))
                }
            }
        }
    }

    static func handshakesPerSecond(count: Int) async throws -> Double {
        let (serverConfiguration, clientConfiguration) = pair(zstd: true)
        let server = try await TransportServer.bind(host: "127.0.0.1", port: 0, configuration: serverConfiguration)
        let port = server.localAddress!.port!
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { connection in try await connection.run { _, _ in } } }
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { clients in
                for worker in 0..<concurrentHandshakes {
                    clients.addTask {
                        for _ in stride(from: worker, to: count, by: concurrentHandshakes) {
                            let connection = try await TransportClient.connect(
                                host: "127.0.0.1",
                                port: port,
                                configuration: clientConfiguration
                            )
                            try await connection.run { _, _ in }
                        }
                    }
                }
                try await clients.waitForAll()
            }
            let elapsed = start.duration(to: clock.now)
            try await server.close()
            try await group.waitForAll()
            return Double(count) / elapsed.benchSeconds
        }
    }

}
