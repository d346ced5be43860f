/// Arithmetic in GF(2^32), the field of repair sketches (`PinSketch`), and polynomials over
/// it: what decoding a sketch needs (Berlekamp–Massey, then the roots of the result).
///
/// Elements are `UInt32` bit vectors, polynomials over GF(2) modulo the irreducible
/// `x^32 + x^7 + x^3 + x^2 + 1` (`RepairSketchTests` checks irreducibility with Rabin's test).
/// Addition is XOR. Hand-written because no package this project may use offers binary-field
/// arithmetic; the code is small and the tests check it against the field axioms.
enum GF32 {
    /// The low terms of the modulus: `x^7 + x^3 + x^2 + 1`.
    static let modulusLow: UInt64 = 0x8d

    /// The carry-less product of `a` and `b` reduced modulo the field polynomial.
    @inline(__always)
    static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        Multiplier(a).times(b)
    }

    @inline(__always)
    static func square(_ a: UInt32) -> UInt32 {
        // Squaring spreads the bits: bit i goes to bit 2i.
        var x = UInt64(a)
        x = (x | x << 16) & 0x0000_ffff_0000_ffff
        x = (x | x << 8) & 0x00ff_00ff_00ff_00ff
        x = (x | x << 4) & 0x0f0f_0f0f_0f0f_0f0f
        x = (x | x << 2) & 0x3333_3333_3333_3333
        x = (x | x << 1) & 0x5555_5555_5555_5555
        return reduce(x)
    }

    /// Reduces a product of degree at most 62.
    @inline(__always)
    static func reduce(_ r: UInt64) -> UInt32 {
        let high = r >> 32
        let folded = high ^ high << 2 ^ high << 3 ^ high << 7
        let again = folded >> 32
        let low = r ^ folded ^ again ^ again << 2 ^ again << 3 ^ again << 7
        return UInt32(truncatingIfNeeded: low)
    }

    static func power(_ a: UInt32, _ exponent: UInt64) -> UInt32 {
        var result: UInt32 = 1
        var base = a
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { result = multiply(result, base) }
            base = square(base)
            e >>= 1
        }
        return result
    }

    /// The inverse of a non-zero element: a^(2^32 − 2).
    static func inverse(_ a: UInt32) -> UInt32 {
        precondition(a != 0, "zero has no inverse")
        return power(a, (1 << 32) - 2)
    }

    /// Multiplies many values by one element: a 4-bit window table of that element's
    /// multiples, so each product is eight lookups and one reduction.
    struct Multiplier {
        // Sixteen multiples of the element, 0·a to 15·a (carry-less, up to 35 bits each).
        private var t0: UInt64, t1: UInt64, t2: UInt64, t3: UInt64
        private var t4: UInt64, t5: UInt64, t6: UInt64, t7: UInt64
        private var t8: UInt64, t9: UInt64, t10: UInt64, t11: UInt64
        private var t12: UInt64, t13: UInt64, t14: UInt64, t15: UInt64

        @inline(__always)
        init(_ a: UInt32) {
            let x = UInt64(a)
            t0 = 0
            t1 = x
            t2 = x << 1
            t3 = t2 ^ x
            t4 = x << 2
            t5 = t4 ^ x
            t6 = t4 ^ t2
            t7 = t4 ^ t3
            let e = x << 3
            t8 = e
            t9 = e ^ t1
            t10 = e ^ t2
            t11 = e ^ t3
            t12 = e ^ t4
            t13 = e ^ t5
            t14 = e ^ t6
            t15 = e ^ t7
        }

        @inline(__always)
        func times(_ b: UInt32) -> UInt32 {
            withUnsafeBytes(of: self) { raw in
                let t = raw.bindMemory(to: UInt64.self)
                let v = Int(b)
                var r = t[v & 15]
                r ^= t[v >> 4 & 15] << 4
                r ^= t[v >> 8 & 15] << 8
                r ^= t[v >> 12 & 15] << 12
                r ^= t[v >> 16 & 15] << 16
                r ^= t[v >> 20 & 15] << 20
                r ^= t[v >> 24 & 15] << 24
                r ^= t[v >> 28 & 15] << 28
                return GF32.reduce(r)
            }
        }
    }
}

/// A polynomial over GF(2^32), coefficients from the constant term up, with no trailing
/// zero coefficients (the zero polynomial is empty).
struct GF32Polynomial: Equatable {
    var coefficients: [UInt32]

    init(_ coefficients: [UInt32]) {
        self.coefficients = coefficients
        trim()
    }

    var degree: Int { coefficients.count - 1 }
    var isZero: Bool { coefficients.isEmpty }

    private mutating func trim() {
        while coefficients.last == 0 { coefficients.removeLast() }
    }

    /// Divides by the leading coefficient.
    func monic() -> GF32Polynomial {
        guard let lead = coefficients.last, lead != 1 else { return self }
        let m = GF32.Multiplier(GF32.inverse(lead))
        return GF32Polynomial(coefficients.map { m.times($0) })
    }

    /// `self mod divisor` for a monic divisor of degree at least 1.
    func remainder(_ divisor: GF32Polynomial) -> GF32Polynomial {
        var r = coefficients
        let d = divisor.coefficients
        let n = d.count - 1
        var top = r.count - 1
        while top >= n {
            let c = r[top]
            if c != 0 {
                let m = GF32.Multiplier(c)
                let offset = top - n
                for j in 0..<n { r[offset + j] ^= m.times(d[j]) }
                r[top] = 0
            }
            top -= 1
        }
        return GF32Polynomial(Array(r.prefix(n)))
    }

    /// Quotient of an exact division by a monic divisor.
    func quotient(_ divisor: GF32Polynomial) -> GF32Polynomial {
        var r = coefficients
        let d = divisor.coefficients
        let n = d.count - 1
        guard r.count - 1 >= n else { return GF32Polynomial([]) }
        var q = [UInt32](repeating: 0, count: r.count - n)
        for top in stride(from: r.count - 1, through: n, by: -1) {
            let c = r[top]
            guard c != 0 else { continue }
            q[top - n] = c
            let m = GF32.Multiplier(c)
            let offset = top - n
            for j in 0..<n { r[offset + j] ^= m.times(d[j]) }
            r[top] = 0
        }
        return GF32Polynomial(q)
    }

    /// `self^2 mod modulus` (monic): squaring is coefficient-wise in characteristic 2.
    func squared(mod modulus: GF32Polynomial) -> GF32Polynomial {
        guard !isZero else { return self }
        var s = [UInt32](repeating: 0, count: 2 * coefficients.count - 1)
        for (i, c) in coefficients.enumerated() { s[2 * i] = GF32.square(c) }
        return GF32Polynomial(s).remainder(modulus)
    }

    static func + (a: GF32Polynomial, b: GF32Polynomial) -> GF32Polynomial {
        var c = a.coefficients.count >= b.coefficients.count ? a.coefficients : b.coefficients
        let other = a.coefficients.count >= b.coefficients.count ? b.coefficients : a.coefficients
        for (i, x) in other.enumerated() { c[i] ^= x }
        return GF32Polynomial(c)
    }

    /// The monic greatest common divisor.
    static func gcd(_ a: GF32Polynomial, _ b: GF32Polynomial) -> GF32Polynomial {
        var x = a
        var y = b
        while !y.isZero {
            let r = x.remainder(y.monic())
            x = y
            y = r
        }
        return x.monic()
    }

    /// The distinct roots of a monic polynomial that splits into distinct linear factors
    /// over GF(2^32), or nil when it does not (then it is not the locator of a set).
    ///
    /// It splits so exactly when it divides x^(2^32) − x; the roots are then found by
    /// Berlekamp's trace algorithm: gcd(f, Tr(βx)) separates the roots whose β-trace is 0
    /// from the others. The β are drawn from `seed` (the engine is deterministic; a node seeds
    /// with a secret, so a peer cannot pick roots that no early β separates); each splits a
    /// given pair of roots with probability 1/2.
    func distinctRoots(seed: UInt64 = 0) -> [UInt32]? {
        guard degree >= 1 else { return degree == 0 ? [] : nil }
        let f = monic()
        if f.degree == 1 { return [f.coefficients[0]] }
        // x^(2^32) mod f must be x.
        var x = GF32Polynomial([0, 1])
        for _ in 0..<32 { x = x.squared(mod: f) }
        guard x == GF32Polynomial([0, 1]) else { return nil }
        var roots: [UInt32] = []
        roots.reserveCapacity(f.degree)
        var pending = [f]
        let draw = SipHash24(k0: seed, k1: 0x7374_6f6f_7232_3366)
        var attempts = 0
        while let g = pending.popLast() {
            if g.degree == 1 {
                roots.append(g.coefficients[0])
                continue
            }
            var split = false
            while !split {
                attempts += 1
                // 64 tries per factor on average would already mean something is wrong.
                guard attempts <= 64 * f.degree else { return nil }
                let beta = UInt32(truncatingIfNeeded: draw.hash(word: UInt64(attempts)))
                guard beta != 0 else { continue }
                var t = GF32Polynomial([0, beta]).remainder(g)
                var trace = t
                for _ in 1..<32 {
                    t = t.squared(mod: g)
                    trace = trace + t
                }
                let h = Self.gcd(g, trace)
                if h.degree >= 1 && h.degree < g.degree {
                    pending.append(h)
                    pending.append(g.quotient(h))
                    split = true
                }
            }
        }
        return roots
    }
}
