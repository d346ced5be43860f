import LatticeCrypto
import Testing

@testable import LatticeStore

/// The tenant table a store reads through: the tenant found last is answered without hashing,
/// and never outlives its removal or replacement.
@Suite struct TenantTableTests {
    static func keys(_ name: String, _ number: UInt64) -> TenantKeys {
        TenantKeys(name: name, number: number, dataKey: SecretBytes(randomCount: 32))
    }

    @Test func lookUp_findsEveryTenant_whicheverWasFoundLast() {
        let a = Self.keys("a", 1)
        let b = Self.keys("b", 2)
        var table = TenantTable(["a": a, "b": b])
        for name in ["a", "a", "b", "a", "b", "b"] {
            #expect(table.lookUp(name) === (name == "a" ? a : b))
        }
        #expect(table.lookUp("c") == nil)
        #expect(table.lookUp("b") === b)  // a miss does not forget the last tenant found
    }

    @Test func aRemovedTenant_isNotFound_evenRightAfterALookUpFoundIt() {
        let a = Self.keys("a", 1)
        var table = TenantTable(["a": a])
        #expect(table.lookUp("a") === a)
        table.remove("a", number: 1)
        #expect(table.lookUp("a") == nil)
        #expect(table.byName.isEmpty)
    }

    @Test func aTenantCreatedAgain_isFoundWithItsNewKeys_andRemovingTheOldNumberSparesIt() {
        let old = Self.keys("a", 1)
        var table = TenantTable(["a": old])
        #expect(table.lookUp("a") === old)
        table.remove("a", number: 1)
        let new = Self.keys("a", 2)
        table.insert(new)
        #expect(table.lookUp("a") === new)
        table.remove("a", number: 1)  // a late removal of the old tenant
        #expect(table.lookUp("a") === new)
    }

    @Test func insert_replacesATenantFoundLast() {
        let old = Self.keys("a", 1)
        var table = TenantTable(["a": old])
        #expect(table.lookUp("a") === old)
        let new = Self.keys("a", 2)
        table.insert(new)
        #expect(table.lookUp("a") === new)
    }
}
