import LatticeCrypto

/// The Noise XX handshake operations the wire needs. LatticeCrypto's `NoiseHandshake`
/// conforms; tests may substitute a scripted handshake.
public protocol WireHandshake: Sendable {
    /// Writes the next handshake message carrying `payload`.
    mutating func writeMessage(payload: [UInt8]) throws(CryptoError) -> [UInt8]
    /// Reads the next handshake message and returns its payload.
    mutating func readMessage(_ message: [UInt8]) throws(CryptoError) -> [UInt8]
    /// The peer's static public key, once a handshake message has revealed it.
    var remoteStaticPublicKey: [UInt8]? { get }
    /// True after the last handshake message.
    var isComplete: Bool { get }
    /// The transport cipher states (send, receive), once complete.
    func transportCiphers() throws(CryptoError) -> (send: any WireCipher, receive: any WireCipher)
}

/// One direction of a Noise transport: ChaCha20-Poly1305 with a counting nonce.
/// LatticeCrypto's `NoiseCipherState` conforms.
public protocol WireCipher: Sendable {
    mutating func encrypt(plaintext: [UInt8], ad: [UInt8]) throws(CryptoError) -> [UInt8]
    mutating func decrypt(ciphertext: [UInt8], ad: [UInt8]) throws(CryptoError) -> [UInt8]
    /// Noise `REKEY()`: replaces the key with one derived from it; the nonce keeps counting.
    mutating func rekey()
    /// `encrypt` in place: `message` holds the plaintext in its first `message.count - 16`
    /// bytes and receives the ciphertext and tag.
    mutating func encrypt(inPlace message: UnsafeMutableRawBufferPointer, ad: [UInt8]) throws(CryptoError)
    /// `decrypt` into `plaintext` (exactly `ciphertext.count - 16` bytes, not overlapping it).
    mutating func decrypt(
        _ ciphertext: UnsafeRawBufferPointer,
        into plaintext: UnsafeMutableRawBufferPointer,
        ad: [UInt8]
    ) throws(CryptoError)
}

extension WireCipher {
    /// Through the array-based `encrypt`, for ciphers that have no buffer-based form.
    public mutating func encrypt(inPlace message: UnsafeMutableRawBufferPointer, ad: [UInt8]) throws(CryptoError) {
        precondition(message.count >= NoiseLimits.tagBytes, "in-place message has no room for the tag")
        let sealed = try encrypt(plaintext: Array(message.prefix(message.count - NoiseLimits.tagBytes)), ad: ad)
        precondition(sealed.count == message.count, "cipher returned a ciphertext of another size")
        message.copyBytes(from: sealed)
    }

    /// Through the array-based `decrypt`, for ciphers that have no buffer-based form.
    public mutating func decrypt(
        _ ciphertext: UnsafeRawBufferPointer,
        into plaintext: UnsafeMutableRawBufferPointer,
        ad: [UInt8]
    ) throws(CryptoError) {
        let opened = try decrypt(ciphertext: Array(ciphertext), ad: ad)
        precondition(opened.count == plaintext.count, "cipher returned a plaintext of another size")
        plaintext.copyBytes(from: opened)
    }
}

/// Makes the handshake for one connection of the given role.
public typealias WireHandshakeFactory = @Sendable (WireRole) -> any WireHandshake

/// Which side of the TCP connection a node is: the connecting side initiates.
public typealias WireRole = NoiseRole

extension NoiseHandshake: WireHandshake {
    public func transportCiphers() throws(CryptoError) -> (send: any WireCipher, receive: any WireCipher) {
        let keys = try split()
        return (keys.send, keys.receive)
    }
}

extension NoiseCipherState: WireCipher {}

extension LatticeNoise {
    /// The handshake factory for a node with `staticKeyPair` on `network`: Noise XX with the
    /// prologue `LatticeNoise.prologue(network:)` and a fresh ephemeral key per connection.
    public static func handshakeFactory(network: String, staticKeyPair: X25519KeyPair) -> WireHandshakeFactory {
        let prologue = prologue(network: network)
        return { role in NoiseHandshake(role: role, prologue: prologue, staticKeyPair: staticKeyPair) }
    }
}
