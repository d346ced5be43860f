import Logging

/// Formats log records as one logfmt line per event:
/// `ts=2026-11-25T17:47:31.536Z level=info label=lattice.admin msg="admin socket ready" path=/run/l.sock`.
///
/// Values are bare when they only contain printable characters other than space, `"`, `=`
/// and `\`; otherwise they are double-quoted with `"` and `\` backslash-escaped, newline,
/// carriage return and tab written as `\n`, `\r`, `\t`, and other control characters as
/// `\u00XX`. Nested metadata is flattened: dictionaries to `key.sub=value`, arrays to
/// `key="[a, b]"`. Keys keep only printable characters other than space, `=` and `"`
/// (others become `_`).
enum LogfmtFormatter {
    static func format(_ record: LogRecord) -> String {
        var fields: [(String, String)] = [
            ("ts", record.timestamp), ("level", record.level), ("label", record.label), ("msg", record.message),
        ]
        if let error = record.error {
            fields.append(("error", error))
        }
        for (key, value) in record.metadata {
            flatten(key: key, value: value, into: &fields)
        }
        return fields.map { "\(escapeKey($0.0))=\(escapeValue($0.1))" }.joined(separator: " ")
    }

    private static func flatten(key: String, value: Logger.MetadataValue, into fields: inout [(String, String)]) {
        switch value {
        case .string(let text): fields.append((key, text))
        case .stringConvertible(let convertible): fields.append((key, convertible.description))
        case .array(let values): fields.append((key, "[" + values.map(inline).joined(separator: ", ") + "]"))
        case .dictionary(let members):
            for (subKey, subValue) in members.sorted(by: { $0.key < $1.key }) {
                flatten(key: "\(key).\(subKey)", value: subValue, into: &fields)
            }
        }
    }

    /// A nested value inside an array: strings as they are, collections in brackets.
    private static func inline(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(inline).joined(separator: ", ") + "]"
        case .dictionary(let members):
            "[" + members.sorted { $0.key < $1.key }.map { "\($0.key): \(inline($0.value))" }.joined(separator: ", ")
                + "]"
        }
    }

    /// A logfmt key: printable ASCII other than space, `=` and `"`; anything else becomes `_`.
    static func escapeKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }
        var out = ""
        for scalar in key.unicodeScalars {
            let plain = scalar.value > 0x20 && scalar.value < 0x7F && scalar != "=" && scalar != "\""
            out.unicodeScalars.append(plain ? scalar : "_")
        }
        return out
    }

    /// A logfmt value: bare when safe, otherwise quoted and escaped.
    static func escapeValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { scalar in
                scalar.value <= 0x20 || scalar.value == 0x7F || scalar == "\"" || scalar == "=" || scalar == "\\"
                    || (scalar.value >= 0x80 && scalar.properties.generalCategory.isSeparatorOrControl)
            }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u" + JSONValue.hex4(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension Unicode.GeneralCategory {
    /// Spaces, line and paragraph separators and control characters outside ASCII
    /// (U+0085, U+00A0, U+2028...): a reader splitting on whitespace would cut there.
    fileprivate var isSeparatorOrControl: Bool {
        switch self {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .format: true
        default: false
        }
    }
}
