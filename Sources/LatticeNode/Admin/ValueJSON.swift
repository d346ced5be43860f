import Foundation
import LatticeCore
import LatticeOps

/// The JSON forms of values on the admin socket (`Protocols/admin-v1.md` §3.8).
enum ValueJSON {
    static func scalar(_ s: Scalar) -> JSONValue {
        switch s {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let t): .string(t)
        case .bytes(let b): .object(["base64": .string(Data(b).base64EncodedString())])
        }
    }

    /// A scalar from JSON: strings, numbers, booleans, null, and `{"base64": "..."}` for bytes.
    static func scalar(_ json: JSONValue, field: String) throws(ValueJSONError) -> Scalar {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let t): return .string(t)
        case .object(let o):
            if o.count == 1, let text = o["base64"]?.stringValue, let data = Data(base64Encoded: text) {
                return .bytes(Array(data))
            }
            throw ValueJSONError("\(field) must be a string, number, boolean, null or {\"base64\": \"...\"}")
        case .array: throw ValueJSONError("\(field) must be a scalar, not an array")
        }
    }

    /// The type name and value of a CRDT value (its first non-empty slot; a key written
    /// concurrently as two types reports the first, and `types` lists all).
    static func value(_ v: CRDTValue) -> (type: String, value: JSONValue) {
        guard let type = v.types.first else { return ("empty", .null) }
        switch type {
        case .counter: return ("counter", .int(v.counter.value))
        case .register: return ("register", v.register.value.map(scalar) ?? .null)
        case .multiValueRegister: return ("mvregister", .object(["values": .array(v.mvRegister.values.map(scalar))]))
        case .set:
            let members = v.set.elements.sorted(by: { $0.sortKey < $1.sortKey }).map(scalar)
            return ("set", .object(["members": .array(members)]))
        case .map:
            var fields = [String: JSONValue]()
            for (name, field) in v.map.fields { fields[name] = value(field).value }
            return ("map", .object(fields))
        }
    }

    static func document(key: String, _ v: CRDTValue) -> JSONValue {
        let (type, value) = value(v)
        var doc: [String: JSONValue] = ["key": .string(key), "type": .string(type), "value": value]
        if v.types.count > 1 { doc["types"] = .array(v.types.map { .string($0.description) }) }
        return .object(doc)
    }
}

struct ValueJSONError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension Scalar {
    /// An order for presenting set members: by kind, then by value.
    fileprivate var sortKey: String {
        switch self {
        case .null: "0"
        case .bool(let b): "1\(b)"
        case .int(let i): "2\(String(format: "%020llu", UInt64(bitPattern: i) ^ (1 << 63)))"
        case .double(let d): "3\(d)"
        case .string(let s): "4\(s)"
        case .bytes(let b): "5\(Data(b).base64EncodedString())"
        }
    }
}
