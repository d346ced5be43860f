/// SipHash-2-4 with a 64-bit output: Jean-Philippe Aumasson and Daniel J. Bernstein,
/// "SipHash: a fast short-input PRF" (INDOCRYPT 2012), as specified by the reference C
/// implementation `veorq/SipHash` (`siphash.c`, test vectors in `vectors.h`).
///
/// Why a non-cryptographic-strength keyed hash with a *fixed, public* key is acceptable
/// for digest repair: the digest only finds where two replicas diverge; it never
/// authenticates data. Peers are authenticated by the Noise handshake and every repaired
/// state is joined as a CRDT, so a hash collision costs at most a missed repair that the
/// next round (after any write to the range) finds — it cannot inject or alter data.
/// LatticeSync is pure and may not import LatticeCrypto (BLAKE2b), hence this small hash.
public struct SipHash24: Sendable, Hashable {
    public let k0: UInt64
    public let k1: UInt64

    /// A hasher keyed with `k0` (key bytes 0–7, little-endian) and `k1` (bytes 8–15).
    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// The fixed key of Lattice's repair digests: the ASCII bytes "lattice-repair-1".
    /// Changing it changes every digest, so it is part of the repair protocol version.
    public static let repair = SipHash24(k0: 0x2d65_6369_7474_616c, k1: 0x312d_7269_6170_6572)

    /// The 64-bit hash of `bytes`.
    public func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash($0) }
    }

    /// The 64-bit hash of `bytes`.
    public func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var s = State(k0: k0, k1: k1)
        let n = bytes.count
        let whole = n & ~7
        var i = 0
        while i < whole {
            var m: UInt64 = 0
            for j in 0..<8 { m |= UInt64(bytes[i + j]) << (8 * UInt64(j)) }
            s.compress(m)
            i += 8
        }
        var last = UInt64(truncatingIfNeeded: n) << 56
        for j in 0..<(n - whole) { last |= UInt64(bytes[whole + j]) << (8 * UInt64(j)) }
        s.compress(last)
        return s.finalize()
    }

    /// The hash of the 8 bytes of `word`, least significant first: `hash(u64le(word))`.
    public func hash(word: UInt64) -> UInt64 {
        var s = State(k0: k0, k1: k1)
        s.compress(word)
        s.compress(8 << 56)
        return s.finalize()
    }

    /// The four-word state and the SipRound of the specification (§2).
    struct State {
        var v0: UInt64, v1: UInt64, v2: UInt64, v3: UInt64

        init(k0: UInt64, k1: UInt64) {
            v0 = k0 ^ 0x736f_6d65_7073_6575  // "somepseudorandomlygeneratedbytes"
            v1 = k1 ^ 0x646f_7261_6e64_6f6d
            v2 = k0 ^ 0x6c79_6765_6e65_7261
            v3 = k1 ^ 0x7465_6462_7974_6573
        }

        mutating func round() {
            v0 &+= v1
            v1 = v1.rotatedLeft(13) ^ v0
            v0 = v0.rotatedLeft(32)
            v2 &+= v3
            v3 = v3.rotatedLeft(16) ^ v2
            v0 &+= v3
            v3 = v3.rotatedLeft(21) ^ v0
            v2 &+= v1
            v1 = v1.rotatedLeft(17) ^ v2
            v2 = v2.rotatedLeft(32)
        }

        /// Two compression rounds per 8-byte word (the "2" of SipHash-2-4).
        mutating func compress(_ m: UInt64) {
            v3 ^= m
            round()
            round()
            v0 ^= m
        }

        /// Four finalization rounds (the "4").
        mutating func finalize() -> UInt64 {
            v2 ^= 0xff
            round()
            round()
            round()
            round()
            return v0 ^ v1 ^ v2 ^ v3
        }
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
