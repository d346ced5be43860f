import LatticeCore
import Testing

@Test func version_stringJoinsItsParts() {
    #expect(LatticeVersion.string == "\(LatticeVersion.major).\(LatticeVersion.minor).\(LatticeVersion.patch)")
}
