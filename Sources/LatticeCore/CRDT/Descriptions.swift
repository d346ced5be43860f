/// Compact renderings for logs and test failures, e.g.
/// `{counter: 3 [a1b2c3d4:2 +5-2]; set: {"x"@a1b2c3d4:1}}`. Dots are shown because two
/// values can read the same and still differ in which writes they hold.
extension CRDTValue: CustomStringConvertible {
    public var description: String {
        var parts = [String]()
        if !counter.isEmpty {
            let entries = counter.entries.sorted { $0.key < $1.key }
                .map { "\($0.key) +\($0.value.increments)-\($0.value.decrements)" }
            parts.append("counter: \(counter.value) [\(entries.joined(separator: ", "))]")
        }
        if !register.isEmpty {
            let entries = register.entries.sorted { $0.key < $1.key }
                .map { "\($0.value.value)@\($0.key)/\($0.value.timestamp)" }
            parts.append(
                "register: \(register.value.map(String.init(describing:)) ?? "-") [\(entries.joined(separator: ", "))]"
            )
        }
        if !mvRegister.isEmpty {
            let entries = mvRegister.entries.sorted { $0.key < $1.key }.map { "\($0.value)@\($0.key)" }
            parts.append("mvregister: [\(entries.joined(separator: ", "))]")
        }
        if !set.isEmpty {
            let members = set.members.sorted { $0.key < $1.key }
                .map { "\($0.key)@" + $0.value.sorted().map(String.init(describing:)).joined(separator: "+") }
            parts.append("set: {\(members.joined(separator: ", "))}")
        }
        if !map.isEmpty {
            let fields = map.fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\($0.key.debugDescription): \($0.value)" }
            parts.append("map: {\(fields.joined(separator: ", "))}")
        }
        return "{" + parts.joined(separator: "; ") + "}"
    }
}

extension Causal: CustomStringConvertible {
    public var description: String { "\(store) ctx \(context)" }
}
