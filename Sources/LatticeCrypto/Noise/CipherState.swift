/// A Noise `CipherState` (Noise section 5.1): a ChaCha20-Poly1305 key and a 64-bit nonce.
///
/// After a handshake, `NoiseHandshake.split()` hands out one for sending and one for
/// receiving. Each call to `encrypt` or `decrypt` uses the current nonce and then
/// increments it, so both peers must process messages in the same order (TCP does).
public struct NoiseCipherState: Sendable {
    /// Empty (`nil`) only inside a handshake before the first DH; `split()` always sets it.
    private var key: SecretBytes?
    /// The nonce the next `encrypt` or `decrypt` will use.
    public private(set) var nonce: UInt64
    /// The nonce at the last rule-driven rekey, so `rekeyIfDue` fires once per interval.
    private var rekeyedAtNonce: UInt64 = 0

    /// Noise reserves 2^64-1 for `REKEY`; once the nonce reaches it the state is exhausted.
    static let nonceReserved = UInt64.max

    init(key: SecretBytes?, nonce: UInt64 = 0) {
        self.key = key
        self.nonce = nonce
    }

    /// `HasKey()`.
    var hasKey: Bool { key != nil }

    /// `EncryptWithAd(ad, plaintext)`: ciphertext plus 16-byte tag.
    ///
    /// Throws `.invalidInput` when the plaintext exceeds `NoiseLimits.transportPayloadBytesMax`
    /// and `.nonceExhausted` after 2^64-1 messages; the session must then be closed.
    public mutating func encrypt(plaintext: [UInt8], ad: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard let key else { return plaintext }
        guard plaintext.count <= NoiseLimits.transportPayloadBytesMax else {
            throw CryptoError(
                .invalidInput,
                "Noise plaintext is \(plaintext.count) bytes, more than the "
                    + "\(NoiseLimits.transportPayloadBytesMax) that fit in one message; fragment it"
            )
        }
        try checkNonce()
        let ciphertext = try ChaChaPoly.encrypt(key: key, nonce: nonce, ad: ad, plaintext: plaintext)
        nonce += 1
        return ciphertext
    }

    /// `DecryptWithAd(ad, ciphertext)`. On `.authenticationFailed` the nonce is unchanged.
    ///
    /// Throws `.invalidInput` for a ciphertext longer than `NoiseLimits.messageBytesMax`.
    public mutating func decrypt(ciphertext: [UInt8], ad: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard let key else { return ciphertext }
        guard ciphertext.count <= NoiseLimits.messageBytesMax else {
            throw CryptoError(
                .invalidInput,
                "Noise message is \(ciphertext.count) bytes, more than the limit of \(NoiseLimits.messageBytesMax)"
            )
        }
        try checkNonce()
        let plaintext = try ChaChaPoly.decrypt(key: key, nonce: nonce, ad: ad, ciphertext: ciphertext)
        nonce += 1
        return plaintext
    }

    /// `EncryptWithAd(ad, plaintext)` in place: `message` holds the plaintext in its first
    /// `message.count - 16` bytes and receives the ciphertext and tag (the same bytes
    /// `encrypt(plaintext:ad:)` returns). Transport use only: the state must have a key.
    ///
    /// Throws `.invalidInput` without a key or when the message exceeds
    /// `NoiseLimits.messageBytesMax`, and `.nonceExhausted` after 2^64-1 messages.
    public mutating func encrypt(inPlace message: UnsafeMutableRawBufferPointer, ad: [UInt8] = []) throws(CryptoError) {
        let key = try transportKey(messageBytes: message.count)
        try ChaChaPoly.encrypt(key: key, nonce: nonce, ad: ad, inPlace: message)
        nonce += 1
    }

    /// `DecryptWithAd(ad, ciphertext)` into `plaintext` (exactly `ciphertext.count - 16`
    /// bytes; disjoint from `ciphertext` or at the same address). On `.authenticationFailed`
    /// the nonce is unchanged. Transport use only: the state must have a key.
    public mutating func decrypt(
        _ ciphertext: UnsafeRawBufferPointer,
        into plaintext: UnsafeMutableRawBufferPointer,
        ad: [UInt8] = []
    ) throws(CryptoError) {
        let key = try transportKey(messageBytes: ciphertext.count)
        try ChaChaPoly.decrypt(key: key, nonce: nonce, ad: ad, ciphertext: ciphertext, into: plaintext)
        nonce += 1
    }

    /// The key for a transport message of `messageBytes` bytes, after the checks both
    /// buffer-based operations share.
    private func transportKey(messageBytes: Int) throws(CryptoError) -> SecretBytes {
        guard let key else {
            throw CryptoError(.invalidInput, "Noise cipher state has no key yet; transport messages need a session")
        }
        guard messageBytes <= NoiseLimits.messageBytesMax else {
            throw CryptoError(
                .invalidInput,
                "Noise message is \(messageBytes) bytes, more than the limit of \(NoiseLimits.messageBytesMax)"
            )
        }
        try checkNonce()
        return key
    }

    /// `Rekey()` (Noise sections 4.2 and 11.3): `k = first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zeros)`.
    /// The nonce is not reset. Both peers must rekey at the same point in the message stream.
    public mutating func rekey() {
        guard let key else { return }
        self.key = ChaChaPoly.rekeyed(key)
    }

    /// Applies Lattice's rekey rule: call after every `encrypt` or `decrypt`; rekeys (and
    /// returns `true`) when the nonce has just reached a non-zero multiple of `intervalMessages`.
    @discardableResult
    public mutating func rekeyIfDue(intervalMessages: UInt64 = NoiseLimits.rekeyIntervalMessages) -> Bool {
        precondition(intervalMessages > 0, "rekey interval must be positive")
        guard nonce != 0, nonce % intervalMessages == 0, nonce != rekeyedAtNonce else { return false }
        rekey()
        rekeyedAtNonce = nonce
        return true
    }

    private func checkNonce() throws(CryptoError) {
        guard nonce != Self.nonceReserved else {
            throw CryptoError(
                .nonceExhausted,
                "Noise cipher state used all 2^64-1 nonces; close the session and handshake again"
            )
        }
    }
}
