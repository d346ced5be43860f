/// Renders field paths the way error messages and the source map spell them:
/// `peers[1].permissions.acme`. Array-of-tables indices count from 0, in file order.
enum ConfigPath {
    /// Joins a parent path and a key, quoting the key when it is not a bare TOML key.
    static func join(_ parent: String, _ key: String) -> String {
        let rendered = render(key: key)
        return parent.isEmpty ? rendered : "\(parent).\(rendered)"
    }

    /// The path of element `index` of the array at `path`.
    static func element(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }

    /// A key as TOML would need it written: bare when it only has `A-Za-z0-9_-`,
    /// otherwise in double quotes with `"` and `\` escaped.
    static func render(key: String) -> String {
        if !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte) {
            return key
        }
        var quoted = "\""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// TOML 1.0 bare keys: ASCII letters, digits, `_` and `-`.
    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
