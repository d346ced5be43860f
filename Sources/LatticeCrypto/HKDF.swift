/// HKDF as the Noise specification (revision 34, section 4.3) defines it over HMAC-BLAKE2b:
/// RFC 5869 with the chaining key as salt, empty info, and two or three 64-byte outputs.
public enum NoiseHKDF {
    /// `HKDF(chaining_key, input_key_material, 2)`.
    public static func deriveTwo(
        chainingKey: SecretBytes,
        inputKeyMaterial: some ContiguousBytes
    ) -> (SecretBytes, SecretBytes) {
        let tempKey = HMACBLAKE2b.authenticate(key: chainingKey, data: inputKeyMaterial)
        let output1 = HMACBLAKE2b.authenticate(key: tempKey, dataParts: [[UInt8(0x01)]])
        let output2 = HMACBLAKE2b.authenticate(key: tempKey, dataParts: [output1, [UInt8(0x02)]])
        return (output1, output2)
    }

    /// `HKDF(chaining_key, input_key_material, 3)`; Noise uses it only for pre-shared keys.
    public static func deriveThree(
        chainingKey: SecretBytes,
        inputKeyMaterial: some ContiguousBytes
    ) -> (SecretBytes, SecretBytes, SecretBytes) {
        let tempKey = HMACBLAKE2b.authenticate(key: chainingKey, data: inputKeyMaterial)
        let output1 = HMACBLAKE2b.authenticate(key: tempKey, dataParts: [[UInt8(0x01)]])
        let output2 = HMACBLAKE2b.authenticate(key: tempKey, dataParts: [output1, [UInt8(0x02)]])
        let output3 = HMACBLAKE2b.authenticate(key: tempKey, dataParts: [output2, [UInt8(0x03)]])
        return (output1, output2, output3)
    }
}
