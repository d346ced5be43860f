import LatticeCore
import PropertyBased
import Testing

@testable import LatticeSync

@Suite("Repair sketches")
struct RepairSketchTests {
    /// Carry-less product and reduction, one bit at a time: the definition, not the table.
    static func slowMultiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt64 = 0
        for i in 0..<32 where b >> UInt32(i) & 1 == 1 { product ^= UInt64(a) << UInt64(i) }
        let modulus: UInt64 = 1 << 32 | 0x8d
        for bit in stride(from: 62, through: 32, by: -1) where product >> UInt64(bit) & 1 == 1 {
            product ^= modulus << UInt64(bit - 32)
        }
        return UInt32(product)
    }

    /// GF(2)[x] polynomials as bit vectors: remainder and gcd.
    static func gf2Remainder(_ a: UInt64, _ m: UInt64) -> UInt64 {
        var a = a
        let dm = 63 - m.leadingZeroBitCount
        while a != 0 && 63 - a.leadingZeroBitCount >= dm { a ^= m << UInt64(63 - a.leadingZeroBitCount - dm) }
        return a
    }

    static func gf2GCD(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, gf2Remainder(x, y)) }
        return x
    }

    @Test("x^32 + x^7 + x^3 + x^2 + 1 is irreducible (Rabin's test), so GF32 is a field")
    func modulus_isIrreducible() {
        // x^(2^32) = x modulo f, and gcd(x^(2^16) − x, f) = 1 (16 = 32 / 2, the only prime
        // divisor of 32 being 2).
        var x: UInt32 = 2
        var at16: UInt32 = 0
        for i in 1...32 {
            x = GF32.square(x)
            if i == 16 { at16 = x }
        }
        #expect(x == 2)
        #expect(Self.gf2GCD(1 << 32 | 0x8d, UInt64(at16 ^ 2)) == 1)
    }

    @Test("products, squares and inverses agree with the bit-by-bit definition")
    func arithmetic_matchesTheDefinition() async {
        await propertyCheck(count: 500, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let a = UInt32(truncatingIfNeeded: rng.next())
            let b = UInt32(truncatingIfNeeded: rng.next())
            let c = UInt32(truncatingIfNeeded: rng.next())
            #expect(GF32.multiply(a, b) == Self.slowMultiply(a, b), "seed \(seed)")
            #expect(GF32.square(a) == Self.slowMultiply(a, a), "seed \(seed)")
            #expect(GF32.multiply(a, b ^ c) == GF32.multiply(a, b) ^ GF32.multiply(a, c), "seed \(seed)")
            if a != 0 { #expect(GF32.multiply(a, GF32.inverse(a)) == 1, "seed \(seed)") }
        }
    }

    static func randomSets(_ rng: inout SplitMix64, common: Int, onlyA: Int, onlyB: Int) -> ([UInt32], [UInt32]) {
        var seen = Set<UInt32>()
        func fresh() -> UInt32 {
            while true {
                let x = UInt32(truncatingIfNeeded: rng.next())
                if x != 0 && seen.insert(x).inserted { return x }
            }
        }
        let shared = (0..<common).map { _ in fresh() }
        return (shared + (0..<onlyA).map { _ in fresh() }, shared + (0..<onlyB).map { _ in fresh() })
    }

    static func sketch(_ elements: [UInt32], capacity: Int) -> PinSketch {
        var s = PinSketch(capacity: capacity)
        for x in elements { s.add(x) }
        return s
    }

    @Test("two sets' sketches add up to one that decodes to exactly their symmetric difference")
    func sumOfSketches_decodesToTheDifference() async {
        await propertyCheck(count: 200, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let capacity = Int.random(in: 1...64, using: &rng)
            let differences = Int.random(in: 0...(capacity - 1), using: &rng)
            let onlyA = Int.random(in: 0...differences, using: &rng)
            let (a, b) = Self.randomSets(
                &rng,
                common: Int.random(in: 0...300, using: &rng),
                onlyA: onlyA,
                onlyB: differences - onlyA
            )
            let decoded = (Self.sketch(a, capacity: capacity) ^ Self.sketch(b, capacity: capacity)).decode()
            #expect(decoded.map(Set.init) == Set(a).symmetricDifference(Set(b)), "seed \(seed)")
        }
    }

    @Test("a difference of capacity or more is reported as undecodable, not as a wrong set")
    func tooLargeADifference_doesNotDecode() async {
        await propertyCheck(count: 200, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let capacity = Int.random(in: 1...48, using: &rng)
            let differences = capacity + Int.random(in: 0...40, using: &rng)
            let (a, b) = Self.randomSets(&rng, common: 20, onlyA: differences, onlyB: 0)
            #expect(
                (Self.sketch(a, capacity: capacity) ^ Self.sketch(b, capacity: capacity)).decode() == nil,
                "seed \(seed)"
            )
        }
    }

    @Test("extending a sketch with later syndromes equals sketching with the larger capacity at once")
    func extension_isExact() {
        var rng = SplitMix64(seed: 3)
        let elements = (0..<50).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
        var tail = [UInt32](repeating: 0, count: 13)
        for x in elements { PinSketch.accumulate(x, first: 20, into: &tail) }
        #expect(Self.sketch(elements, capacity: 20).syndromes + tail == Self.sketch(elements, capacity: 33).syndromes)
    }

    @Test("a polynomial that does not split into distinct roots is not a set's locator")
    func nonSplittingPolynomials_haveNoRoots() {
        // (z − 5)^2 = z^2 + 5^2 (characteristic 2; 5^2 = 17 in this field): a repeated root.
        let five: UInt32 = 5
        #expect(GF32Polynomial([GF32.square(five), 0, 1]).distinctRoots() == nil)
        // (z − 3)(z − 9) splits.
        let product = GF32Polynomial([GF32.multiply(3, 9), 3 ^ 9, 1])
        #expect(product.distinctRoots().map(Set.init) == [3, 9])
    }
}
