import InMemoryLogging
import LatticeCrypto
import LatticeNode
import LatticeWire
import Logging
import NIOCore

/// One node's identity and what it needs to run the transport in a test.
struct TestNode: Sendable {
    let keyPair = X25519KeyPair.generate()
    var publicKey: [UInt8] { keyPair.publicKey }
    let logs = InMemoryLogHandler()
    // Tests use a 120 s handshake deadline (unless they test the deadline): under a loaded
    // full-suite run, a 10 s deadline fired before a test's own next step and changed the
    // failure being tested.
    let counters = TransportCounters()

    func configuration(
        network: String = "test",
        allowing peers: [TestNode],
        handshakeTimeout: TimeAmount = .seconds(120),
        frameBytesMax: Int = WireLimits.frameBytesMax,
        compressor: (any PayloadCompressor)? = ZstdPayloadCompressor()
    ) -> TransportConfiguration {
        let logs = logs
        var logger = Logger(label: "test.transport") { _ in logs }
        logger.logLevel = .debug
        return TransportConfiguration(
            network: network,
            handshake: HandshakeConfiguration(
                allowedPeerKeys: Set(peers.map(\.publicKey)),
                compressor: compressor,
                frameBytesMax: frameBytesMax
            ),
            makeHandshake: LatticeNoise.handshakeFactory(network: network, staticKeyPair: keyPair),
            handshakeTimeout: handshakeTimeout,
            logger: logger,
            counters: counters
        )
    }

    /// The warning lines logged so far, with their metadata flattened into the text.
    var warnings: [String] {
        logs.entries.filter { $0.level == .warning }.map { entry in
            let metadata = entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return "\(entry.message) " + metadata.joined(separator: " ")
        }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Polls `condition` until it holds or `timeout` passes (no fixed sleeps as synchronisation).
func eventually(
    _ what: String,
    timeout: Duration = .seconds(60),
    _ condition: () -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        guard clock.now < deadline else { throw TimedOut(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A server on 127.0.0.1:0 that echoes every frame back, running until the body returns.
func withEchoServer<R: Sendable>(
    _ configuration: TransportConfiguration,
    _ body: (_ port: Int, _ server: TransportServer) async throws -> R
) async throws -> R {
    let server = try await TransportServer.bind(host: "127.0.0.1", port: 0, configuration: configuration)
    let port = server.localAddress!.port!
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await server.run { connection in
                try await connection.run { inbound, outbound in
                    for try await frame in inbound { try await outbound.write(frame) }
                }
            }
        }
        defer { group.cancelAll() }
        let result = try await body(port, server)
        try await server.close()
        return result
    }
}
