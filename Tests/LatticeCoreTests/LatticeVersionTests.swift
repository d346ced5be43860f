import LatticeCore
import Testing

@Suite struct LatticeVersionTests {
    @Test func versionString_joinsComponentsWithDots() {
        #expect(LatticeVersion.string == "\(LatticeVersion.major).\(LatticeVersion.minor).\(LatticeVersion.patch)")
    }
}
