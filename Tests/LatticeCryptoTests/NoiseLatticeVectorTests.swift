import Foundation
import LatticeCrypto
import Testing

/// `Protocols/vectors/lattice-handshake-v1.json`: Lattice's own handshake transcript, in the
/// cacophony/snow vector format, with fixed keys and Lattice's prologue.
///
/// Run with `LATTICE_WRITE_VECTORS=1` to rewrite the file after a deliberate protocol change
/// (which needs a new wire version, not an edit of v1).
@Suite struct NoiseLatticeVectorTests {
    static let path = "Protocols/vectors/lattice-handshake-v1.json"
    static let network = "lattice-vectors"

    /// Fixed private keys: BLAKE2b with a 32-byte digest of "lattice handshake vector v1 " + role
    /// (Python `hashlib.blake2b(text, digest_size=32)`); any 32 bytes would do.
    static let initiatorStatic = "3aad98840e6130771d3592e16b2b4e0a58033b57195d1dd978cc0c112ad4418f"
    static let initiatorEphemeral = "9818b1078a953c8978aa81258e5ef0a721e22407d372f75a2b72c8ba1f47c267"
    static let responderStatic = "c9dc38fd6090d70b1be3b349164823a243408952698257868f2870f5e89fb49b"
    static let responderEphemeral = "79cd034775350b94f17be9cc4b19ba53a233b6772459c9c0b3fecbb44451e961"

    /// Handshake payloads are empty here (the transport layer defines real ones); then one
    /// transport message each way (odd indexes are the responder's, as in published vectors).
    static let payloads: [[UInt8]] = [
        [], [], [],
        Array("first transport message, responder to initiator".utf8),
        Array("second transport message, initiator to responder".utf8),
    ]

    /// The vector as this implementation produces it today.
    static func generate() throws -> NoiseVectorFile {
        // Prologue: "lattice/wire/1" || 0x00 || UTF-8(network name), from LatticeNoise.prologue.
        let prologue = hexString(LatticeNoise.prologue(network: network))
        var vector = NoiseVector(
            protocol_name: LatticeNoise.protocolName,
            init_prologue: prologue,
            init_static: initiatorStatic,
            init_ephemeral: initiatorEphemeral,
            resp_prologue: prologue,
            resp_static: responderStatic,
            resp_ephemeral: responderEphemeral,
            handshake_hash: nil,
            messages: payloads.map { .init(payload: hexString($0), ciphertext: "") }
        )
        let replayed = try replay(vector)
        vector.messages = replayed.messages
        vector.handshake_hash = hexString(replayed.initiatorHash)
        return NoiseVectorFile(
            comment: "Lattice wire v1 handshake (Protocols/wire-v1-handshake.md). Prologue is "
                + "\"lattice/wire/1\" || 0x00 || UTF-8(\"\(network)\"). Empty handshake payloads; "
                + "messages at odd indexes are sent by the responder.",
            vectors: [vector]
        )
    }

    @Test func committedVector_matchesWhatTheImplementationProduces() throws {
        let generated = try Self.generate()
        if ProcessInfo.processInfo.environment["LATTICE_WRITE_VECTORS"] == "1" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try (encoder.encode(generated) + Data("\n".utf8)).write(to: Fixtures.url(Self.path))
        }
        let committed = try Fixtures.vectorFile(Self.path)
        #expect(committed == generated, "\(Self.path) drifted from the implementation")
    }

    @Test func committedVector_prologueIsLatticeLabelZeroByteNetwork() throws {
        let vector = try #require(try Fixtures.vectorFile(Self.path).vectors.first)
        let expected = Array("lattice/wire/1".utf8) + [0] + Array(Self.network.utf8)
        #expect(bytes(hex: vector.init_prologue) == expected)
        #expect(vector.resp_prologue == vector.init_prologue)
        // Noise section 3: with empty payloads XX messages are 32, 96 and 64 bytes for 25519.
        #expect(vector.messages.prefix(3).map { $0.ciphertext.count / 2 } == [32, 96, 64])
    }

    /// An independent property: fresh random keys, both sides agree on the handshake hash,
    /// learn each other's static key, and exchange transport messages both ways.
    @Test func freshHandshake_bothSidesAgreeAndExchangeMessages() throws {
        let initiatorStatic = X25519KeyPair.generate()
        let responderStatic = X25519KeyPair.generate()
        let prologue = LatticeNoise.prologue(network: "property")
        var initiator = NoiseHandshake(role: .initiator, prologue: prologue, staticKeyPair: initiatorStatic)
        var responder = NoiseHandshake(role: .responder, prologue: prologue, staticKeyPair: responderStatic)
        #expect(try responder.readMessage(try initiator.writeMessage(payload: [1])) == [1])
        #expect(try initiator.readMessage(try responder.writeMessage(payload: [2, 2])) == [2, 2])
        #expect(initiator.remoteStaticPublicKey == responderStatic.publicKey)
        #expect(responder.remoteStaticPublicKey == nil)
        #expect(try responder.readMessage(try initiator.writeMessage(payload: [3, 3, 3])) == [3, 3, 3])
        #expect(responder.remoteStaticPublicKey == initiatorStatic.publicKey)
        #expect(initiator.isComplete && responder.isComplete)
        #expect(initiator.handshakeHash == responder.handshakeHash)
        #expect(initiator.handshakeHash.count == 64)
        var a = try initiator.split()
        var b = try responder.split()
        for round in 0..<5 {
            let ping = Array("ping \(round)".utf8)
            #expect(try b.receive.decrypt(ciphertext: try a.send.encrypt(plaintext: ping)) == ping)
            let pong = Array("pong \(round)".utf8)
            #expect(try a.receive.decrypt(ciphertext: try b.send.encrypt(plaintext: pong)) == pong)
        }
        #expect(a.send.nonce == 5 && b.receive.nonce == 5)
    }
}
