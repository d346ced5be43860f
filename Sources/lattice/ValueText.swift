import ArgumentParser
import LatticeOps

/// How values cross the command line: printed one per line for scripts, and read from
/// arguments as strings or (with `--json`) as JSON scalars.
enum ValueText {
    /// The line `get` prints for a value of CRDT `type` (admin-v1 section 3.8 as amended by the
    /// node contract): a register's or text's string raw, without quotes; a set's members and
    /// an mvregister's values as a compact JSON array; anything else (counters, other scalars,
    /// maps) as compact JSON, so a counter prints as its number.
    static func line(type: String?, value: JSONValue) -> String {
        switch (type, value) {
        case ("register", .string(let text)), ("text", .string(let text)):
            return text
        case ("set", _):
            if let members = value["members"], case .array = members { return members.serialized }
        case ("mvregister", _):
            if let values = value["values"], case .array = values { return values.serialized }
        default:
            break
        }
        return value.serialized
    }

    /// A command-line value: the text itself as a JSON string, or with `json` the text parsed
    /// as a JSON scalar (string, number, true, false, null) or bytes `{"base64": "..."}`.
    static func argument(_ text: String, json: Bool, name: String) throws(ValidationError) -> JSONValue {
        guard json else { return .string(text) }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(text.utf8))
        } catch {
            throw ValidationError("\(name) is not JSON: \(text); quote strings as '\"text\"', or drop --json")
        }
        switch value {
        case .null, .bool, .int, .double, .string:
            return value
        case .object(let members) where members.count == 1 && members["base64"]?.stringValue != nil:
            return value
        case .array, .object:
            throw ValidationError(
                "\(name) must be a JSON scalar (a string, number, true, false or null) or {\"base64\": \"...\"};"
                    + " got \(text)"
            )
        }
    }
}
