/// A JSON value rendered deterministically (object fields in the order given, short
/// arrays and objects on one line), so a published vectors file is reproducible byte for
/// byte. Numbers are integers only: the vectors write 64-bit values as hex strings.
indirect enum VectorJSON: Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    case array([VectorJSON])
    case object([Field])

    struct Field: Equatable {
        var name: String
        var value: VectorJSON
    }

    /// Containers whose one-line form is at most this many characters stay on one line.
    static let inlineWidthMax = 120

    /// Builds an object from (name, value) pairs, keeping their order.
    static func fields(_ pairs: KeyValuePairs<String, VectorJSON>) -> VectorJSON {
        .object(pairs.map { Field(name: $0.key, value: $0.value) })
    }

    /// The document: pretty-printed with two-space indentation and a final newline.
    var document: String { rendered(indent: 0) + "\n" }

    func rendered(indent: Int) -> String {
        let inline = self.inline
        let pad = String(repeating: " ", count: indent + 2)
        let close = String(repeating: " ", count: indent)
        switch self {
        case .array(let items) where inline.count > Self.inlineWidthMax:
            let lines = items.map { pad + $0.rendered(indent: indent + 2) }
            return "[\n" + lines.joined(separator: ",\n") + "\n" + close + "]"
        case .object(let fields) where inline.count > Self.inlineWidthMax:
            let lines = fields.map { pad + Self.quoted($0.name) + ": " + $0.value.rendered(indent: indent + 2) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + close + "}"
        default:
            return inline
        }
    }

    private var inline: String {
        switch self {
        case .string(let s): Self.quoted(s)
        case .int(let n): String(n)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .array(let items): "[" + items.map(\.inline).joined(separator: ", ") + "]"
        case .object(let fields):
            "{" + fields.map { Self.quoted($0.name) + ": " + $0.value.inline }.joined(separator: ", ") + "}"
        }
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20:
                let digits = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
