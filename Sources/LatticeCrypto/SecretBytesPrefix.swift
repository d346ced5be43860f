extension SecretBytes {
    /// The first `count` bytes as a new secret (Noise truncates 64-byte HKDF outputs to
    /// 32-byte cipher keys). The copy never passes through an unprotected array.
    func prefix(_ count: Int) -> SecretBytes {
        precondition(count <= self.count, "prefix longer than the secret")
        var out = SecretBytes(zeroedCount: count)
        out.withUnsafeMutableBytes { o in
            withUnsafeBytes { s in o.copyMemory(from: UnsafeRawBufferPointer(rebasing: s[0..<count])) }
        }
        return out
    }
}
