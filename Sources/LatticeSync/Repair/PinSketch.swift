/// A set sketch from which the symmetric difference of two sets can be read back, if it
/// holds fewer elements than the sketch's capacity: the odd power sums of the elements in
/// GF(2^32) (Dodis, Ostrovsky, Reyzin and Smith, "Fuzzy Extractors", 2004, §6.2, "PinSketch";
/// the construction Bitcoin's Erlay uses through minisketch).
///
/// A sketch of capacity `c` is the syndromes `s_i = Σ x^(2i+1)` for `i` in `0..<c`, 4 bytes
/// each. Sketches add by XOR: the sum of two sets' sketches is the sketch of their symmetric
/// difference, since each common element cancels. Decoding recovers a set of at most
/// `c − 1` elements (one syndrome is kept as a check, so a larger difference is reported as
/// undecodable except with probability about 2^-32); extending a sketch by more syndromes
/// later is exact, so a side can ask for more when a decode fails.
struct PinSketch: Equatable {
    /// Syndromes `first ..< first + count` of the odd powers.
    private(set) var syndromes: [UInt32]

    init(capacity: Int) {
        syndromes = [UInt32](repeating: 0, count: capacity)
    }

    init(syndromes: [UInt32]) {
        self.syndromes = syndromes
    }

    var capacity: Int { syndromes.count }

    /// Adds (or removes: the same operation) element `x` (non-zero).
    mutating func add(_ x: UInt32) {
        Self.accumulate(x, first: 0, into: &syndromes)
    }

    /// Adds `x^(2i+1)` to `syndromes[i − first]` for each slot: the syndromes `first ..<
    /// first + syndromes.count` of a sketch extended later.
    static func accumulate(_ x: UInt32, first: Int, into syndromes: inout [UInt32]) {
        let square = GF32.square(x)
        let step = GF32.Multiplier(square)
        var p = first == 0 ? x : GF32.multiply(x, GF32.power(square, UInt64(first)))
        for i in syndromes.indices {
            syndromes[i] ^= p
            p = step.times(p)
        }
    }

    static func ^ (a: PinSketch, b: PinSketch) -> PinSketch {
        precondition(a.capacity == b.capacity, "sketches of different capacities")
        return PinSketch(syndromes: zip(a.syndromes, b.syndromes).map { $0 ^ $1 })
    }

    /// The elements of the sketched set when it holds at most `capacity − 1` of them,
    /// else nil. The power sums `S_1 … S_2c` (even ones are squares of the odd ones) satisfy
    /// a linear recurrence whose connection polynomial has the inverses of the elements as
    /// roots; Berlekamp–Massey finds it, `GF32Polynomial.distinctRoots` its roots.
    /// `seed` picks the root finder's splitting elements (`GF32Polynomial.distinctRoots`).
    func decode(seed: UInt64 = 0) -> [UInt32]? {
        let c = capacity
        guard c >= 1 else { return nil }
        if syndromes.allSatisfy({ $0 == 0 }) { return [] }
        var sums = [UInt32](repeating: 0, count: 2 * c + 1)  // sums[j] = S_j, 1-based
        for j in 1...(2 * c) {
            sums[j] = j % 2 == 1 ? syndromes[(j - 1) / 2] : GF32.square(sums[j / 2])
        }
        guard let locator = Self.berlekampMassey(sums, length: 2 * c), locator.count - 1 <= c - 1 else {
            return nil
        }
        // Λ(z) = Π (1 − x_k z): its reversal Π (z − x_k) has the elements as roots.
        let degree = locator.count - 1
        guard degree >= 1, locator[degree] != 0 else { return nil }
        guard let roots = GF32Polynomial(locator.reversed()).distinctRoots(seed: seed), roots.count == degree,
            !roots.contains(0)
        else { return nil }
        return roots
    }

    /// The shortest linear recurrence (its connection polynomial, constant term 1 first)
    /// generating `s[1...length]`, or nil if none is shorter than half the sequence.
    private static func berlekampMassey(_ s: [UInt32], length: Int) -> [UInt32]? {
        var current: [UInt32] = [1]
        var previous: [UInt32] = [1]
        var l = 0
        var m = 1
        var b: UInt32 = 1
        for n in 0..<length {
            var d = s[n + 1]
            for i in 1..<min(current.count, l + 1) where current[i] != 0 {
                d ^= GF32.multiply(current[i], s[n + 1 - i])
            }
            if d == 0 {
                m += 1
                continue
            }
            let coefficient = GF32.multiply(d, GF32.inverse(b))
            let scale = GF32.Multiplier(coefficient)
            var next = current
            if next.count < previous.count + m {
                next += [UInt32](repeating: 0, count: previous.count + m - next.count)
            }
            for (i, p) in previous.enumerated() where p != 0 { next[i + m] ^= scale.times(p) }
            if 2 * l <= n {
                l = n + 1 - l
                previous = current
                b = d
                m = 1
            } else {
                m += 1
            }
            current = next
        }
        guard 2 * l <= length else { return nil }
        while current.count > l + 1 { current.removeLast() }
        if current.count < l + 1 { current += [UInt32](repeating: 0, count: l + 1 - current.count) }
        return current
    }
}
