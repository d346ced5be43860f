/// A Noise `SymmetricState` (Noise section 5.2) for BLAKE2b: chaining key `ck`, handshake
/// hash `h` and the handshake's cipher state.
struct NoiseSymmetricState: Sendable {
    /// `HASHLEN` for BLAKE2b.
    static let hashBytes = 64

    /// `ck`: secret, it derives every key of the session.
    private var chainingKey: SecretBytes
    /// `h`: a transcript hash, not secret; the handshake hash once the handshake is over.
    private(set) var handshakeHash: [UInt8]
    private var cipher = NoiseCipherState(key: nil)

    /// `InitializeSymmetric(protocol_name)`.
    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= Self.hashBytes {
            handshakeHash = name + [UInt8](repeating: 0, count: Self.hashBytes - name.count)
        } else {
            handshakeHash = BLAKE2b.hash(name)
        }
        chainingKey = SecretBytes(handshakeHash)
    }

    /// `HasKey()` of the inner cipher state.
    var hasKey: Bool { cipher.hasKey }

    /// `MixKey(input_key_material)`.
    mutating func mixKey(_ inputKeyMaterial: SecretBytes) {
        let (newChainingKey, tempKey) = NoiseHKDF.deriveTwo(
            chainingKey: chainingKey,
            inputKeyMaterial: inputKeyMaterial
        )
        chainingKey = newChainingKey
        cipher = NoiseCipherState(key: tempKey.prefix(ChaChaPoly.keyBytes))
    }

    /// `MixHash(data)`: `h = HASH(h || data)`.
    mutating func mixHash(_ data: [UInt8]) {
        handshakeHash = BLAKE2b.hash(concatenating: [handshakeHash, data])
    }

    /// `EncryptAndHash(plaintext)`.
    mutating func encryptAndHash(_ plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        let ciphertext = try cipher.encrypt(plaintext: plaintext, ad: handshakeHash)
        mixHash(ciphertext)
        return ciphertext
    }

    /// `DecryptAndHash(ciphertext)`.
    mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(CryptoError) -> [UInt8] {
        let plaintext = try cipher.decrypt(ciphertext: ciphertext, ad: handshakeHash)
        mixHash(ciphertext)
        return plaintext
    }

    /// `Split()`: the initiator-to-responder and responder-to-initiator cipher states.
    func split() -> (NoiseCipherState, NoiseCipherState) {
        let (key1, key2) = NoiseHKDF.deriveTwo(chainingKey: chainingKey, inputKeyMaterial: [UInt8]())
        return (
            NoiseCipherState(key: key1.prefix(ChaChaPoly.keyBytes)),
            NoiseCipherState(key: key2.prefix(ChaChaPoly.keyBytes))
        )
    }
}
