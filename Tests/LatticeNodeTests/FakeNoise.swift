import LatticeCrypto
import LatticeWire

// Test doubles for LatticeCrypto's Noise XX until the `noise` branch lands on main.
// They keep the properties the wire relies on (the XX message order, which message
// reveals which static key, prologue binding, authentication, nonces that reject
// replays, REKEY) and nothing else: no confidentiality, no real Diffie-Hellman.

/// A fake identity: a random 32-byte "public key".
struct FakeIdentity: Sendable {
    let publicKey: [UInt8]
    static func generate() -> FakeIdentity { FakeIdentity(publicKey: Random.bytes(count: 32)) }
}

struct FakeNoiseHandshake: WireHandshake {
    let role: WireRole
    let staticKey: [UInt8]
    private var hash: [UInt8]
    private var step = 0
    private(set) var remoteStaticPublicKey: [UInt8]?

    init(role: WireRole, prologue: [UInt8], identity: FakeIdentity) {
        self.role = role
        self.staticKey = identity.publicKey
        self.hash = BLAKE2b.hash(prologue, outputCount: 32)
    }

    var isComplete: Bool { step == 3 }

    private func tag(_ body: [UInt8]) -> [UInt8] { Array(BLAKE2b.hash(hash + body, outputCount: 16)) }

    mutating func writeMessage(payload: [UInt8]) throws(CryptoError) -> [UInt8] {
        let body: [UInt8]
        switch (role, step) {
        case (.initiator, 0): body = Random.bytes(count: 32) + payload
        case (.responder, 1): body = Random.bytes(count: 32) + staticKey + payload
        case (.initiator, 2): body = staticKey + payload
        default: throw CryptoError(.handshake, "fake: write out of turn")
        }
        let message = step == 0 ? body : body + tag(body)
        hash = BLAKE2b.hash(hash + message, outputCount: 32)
        step += 1
        return message
    }

    mutating func readMessage(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        let minimum = [0: 32, 1: 32 + 32 + 16, 2: 32 + 16][step] ?? Int.max
        guard message.count >= minimum, (role == .responder) == (step != 1) else {
            throw CryptoError(.invalidInput, "fake: message \(step + 1) malformed or out of turn")
        }
        var body = message
        if step > 0 {
            body = Array(message.dropLast(16))
            guard Array(message.suffix(16)) == tag(body) else {
                throw CryptoError(.authenticationFailed, "fake: message \(step + 1) tag mismatch")
            }
        }
        let payload: [UInt8]
        switch step {
        case 0: payload = Array(body[32...])
        case 1:
            remoteStaticPublicKey = Array(body[32..<64])
            payload = Array(body[64...])
        default:
            remoteStaticPublicKey = Array(body[0..<32])
            payload = Array(body[32...])
        }
        hash = BLAKE2b.hash(hash + message, outputCount: 32)
        step += 1
        return payload
    }

    func transportCiphers() throws(CryptoError) -> (send: any WireCipher, receive: any WireCipher) {
        guard isComplete else { throw CryptoError(.handshake, "fake: split before completion") }
        let i2r = FakeCipher(key: BLAKE2b.hash(hash + [1], outputCount: 32))
        let r2i = FakeCipher(key: BLAKE2b.hash(hash + [2], outputCount: 32))
        return role == .initiator ? (i2r, r2i) : (r2i, i2r)
    }
}

/// Appends a 16-byte keyed BLAKE2b tag over nonce, ad and plaintext; the plaintext stays readable.
struct FakeCipher: WireCipher {
    var key: [UInt8]
    private(set) var nonce: UInt64 = 0

    init(key: [UInt8]) { self.key = key }

    private func tag(_ text: [UInt8], _ ad: [UInt8]) -> [UInt8] {
        let nonceBytes = (0..<8).map { UInt8(truncatingIfNeeded: nonce >> (8 * UInt64($0))) }
        return BLAKE2b.hash(nonceBytes + ad + text, outputCount: 16, key: SecretBytes(key))
    }

    mutating func encrypt(plaintext: [UInt8], ad: [UInt8]) throws(CryptoError) -> [UInt8] {
        defer { nonce += 1 }
        return plaintext + tag(plaintext, ad)
    }

    mutating func decrypt(ciphertext: [UInt8], ad: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard ciphertext.count >= 16 else { throw CryptoError(.invalidInput, "fake: short") }
        let text = Array(ciphertext.dropLast(16))
        guard Array(ciphertext.suffix(16)) == tag(text, ad) else {
            throw CryptoError(.authenticationFailed, "fake: tag mismatch")
        }
        nonce += 1
        return text
    }

    mutating func rekey() { key = BLAKE2b.hash(key + Array("rekey".utf8), outputCount: 32) }
}

/// Run-length encoding standing in for zstd: pairs of (run length 1...255, byte).
struct FakeCompressor: PayloadCompressor {
    func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            var run = 1
            while index + run < bytes.count, run < 255, bytes[index + run] == bytes[index] { run += 1 }
            out += [UInt8(run), bytes[index]]
            index += run
        }
        return out
    }

    struct TooLarge: Error {}
    struct Malformed: Error {}

    func decompress(_ bytes: [UInt8], outputBytesMax: Int) throws -> [UInt8] {
        guard bytes.count % 2 == 0 else { throw Malformed() }
        var out: [UInt8] = []
        for pair in stride(from: 0, to: bytes.count, by: 2) {
            guard bytes[pair] > 0 else { throw Malformed() }
            guard out.count + Int(bytes[pair]) <= outputBytesMax else { throw TooLarge() }
            out += repeatElement(bytes[pair + 1], count: Int(bytes[pair]))
        }
        return out
    }
}
