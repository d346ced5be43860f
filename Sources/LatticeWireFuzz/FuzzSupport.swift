import LatticeCrypto
import LatticeWire

/// Splits bytes into wire messages (`u16 length | body`); a short tail ends the sequence.
struct WireMessages {
    private var rest: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

    mutating func next() -> [UInt8]? {
        guard rest.count >= 2 else { return nil }
        let length = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
        let body = rest.dropFirst(2).prefix(length)
        rest = rest.dropFirst(2 + body.count)
        return Array(body)
    }
}

/// Fixed keys, so a crashing input replays exactly: the honest side's messages (and so the
/// responder's keys) are the same on every run.
enum FuzzKeys {
    static let network = "fuzz"
    // Constant, valid 32-byte private keys: `init(privateKey:)` cannot fail on them.
    static let responderStatic = try! X25519KeyPair(privateKey: SecretBytes([UInt8](repeating: 0x11, count: 32)))
    static let responderEphemeral = try! X25519KeyPair(privateKey: SecretBytes([UInt8](repeating: 0x22, count: 32)))
    static let initiatorStatic = try! X25519KeyPair(privateKey: SecretBytes([UInt8](repeating: 0x33, count: 32)))
    static let initiatorEphemeral = try! X25519KeyPair(privateKey: SecretBytes([UInt8](repeating: 0x44, count: 32)))

    static func driver(_ role: WireRole) -> HandshakeDriver {
        let (own, ephemeral, peer) =
            role == .responder
            ? (responderStatic, responderEphemeral, initiatorStatic)
            : (initiatorStatic, initiatorEphemeral, responderStatic)
        let noise = NoiseHandshake(
            role: role,
            prologue: LatticeNoise.prologue(network: network),
            staticKeyPair: own,
            ephemeralKeyPair: ephemeral
        )
        let configuration = HandshakeConfiguration(
            allowedPeerKeys: [peer.publicKey],
            compressor: ZstdPayloadCompressor(),
            frameBytesMax: WireFuzzHarness.frameBytesMax
        )
        return HandshakeDriver(role: role, handshake: noise, configuration: configuration)
    }
}

/// Both established sessions of an honest handshake.
struct SessionPair {
    var initiator: TransportSession
    var responder: TransportSession
}

extension WireFuzzHarness {
    /// Runs a handshake whose initiator writes real Noise messages with fuzzed payloads
    /// (through a raw NoiseHandshake, bypassing the initiator's own payload encoding).
    static func honestHandshake(
        _ responder: inout HandshakeDriver,
        payloads: ([UInt8], [UInt8]),
        confirm: Bool = false
    ) -> SessionPair? {
        var initiator = NoiseHandshake(
            role: .initiator,
            prologue: LatticeNoise.prologue(network: FuzzKeys.network),
            staticKeyPair: FuzzKeys.initiatorStatic,
            ephemeralKeyPair: FuzzKeys.initiatorEphemeral
        )
        guard let message1 = try? initiator.writeMessage(payload: payloads.0),
            case .reply(let message2)? = try? responder.receive(message1),
            let hello = try? ResponderHello.decode(initiator.readMessage(message2))
        else { return nil }
        let payload3 =
            confirm ? InitiatorConfirm(selected: hello.selected ?? 0, capabilities: [.zstd]).encoded() : payloads.1
        guard let message3 = try? initiator.writeMessage(payload: payload3),
            case .established(_, let established)? = try? responder.receive(message3),
            let ciphers = try? initiator.transportCiphers()
        else { return nil }
        let initiatorSession = TransportSession(
            send: ciphers.send,
            receive: ciphers.receive,
            compressor: ZstdPayloadCompressor(),
            decompressor: ZstdPayloadCompressor(),
            frameBytesMax: WireFuzzHarness.frameBytesMax
        )
        return SessionPair(initiator: initiatorSession, responder: established.session)
    }
}
