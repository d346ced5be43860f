import LatticeCrypto
import LatticeWire

/// A node's side of a test connection: a fresh static key and the real Noise XX handshake.
struct TestPeer {
    let keyPair = X25519KeyPair.generate()
    var publicKey: [UInt8] { keyPair.publicKey }

    func driver(
        _ role: WireRole,
        network: String = "test",
        allowing peers: [TestPeer],
        versions: ClosedRange<UInt16> = WireVersion.supported,
        compressor: (any PayloadCompressor)? = ZstdPayloadCompressor(),
        rekeyMessagesMax: UInt64 = WireLimits.rekeyMessagesMax,
        ephemeral: X25519KeyPair? = nil
    ) -> HandshakeDriver {
        let configuration = HandshakeConfiguration(
            allowedPeerKeys: Set(peers.map(\.publicKey)),
            versions: versions,
            compressor: compressor,
            rekeyMessagesMax: rekeyMessagesMax
        )
        let noise = NoiseHandshake(
            role: role,
            prologue: LatticeNoise.prologue(network: network),
            staticKeyPair: keyPair,
            ephemeralKeyPair: ephemeral
        )
        return HandshakeDriver(role: role, handshake: noise, configuration: configuration)
    }
}
