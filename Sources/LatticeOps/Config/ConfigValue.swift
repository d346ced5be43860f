import TOMLKit

/// A parsed TOML value, copied out of TOMLKit's reference types into a plain value so
/// that the validation layer works on Sendable data and never on TOMLKit's conversions
/// (which answer a wrong type with `nil`, or "key not found" when decoding).
enum ConfigValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A date, time or date-time: Lattice has no such field, so only the kind is kept.
    case temporal(String)
    case array([ConfigValue])
    case table(ConfigTable)

    /// The value's kind with an article, as error messages print it: "found an integer".
    var kindWithArticle: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a floating-point number"
        case .boolean: "a boolean"
        case .temporal(let kind): "a \(kind)"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML table as an ordered list of entries (sorted by key, as toml++ keeps them).
struct ConfigTable: Sendable, Hashable {
    var entries: [(key: String, value: ConfigValue)]

    subscript(key: String) -> ConfigValue? {
        entries.first { $0.key == key }?.value
    }

    static func == (lhs: ConfigTable, rhs: ConfigTable) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension ConfigTable {
    /// Parses TOML text with TOMLKit and copies the result. Syntax errors carry the line
    /// and column toml++ reports.
    static func parse(_ text: String, sourceName: String) throws(ConfigError) -> ConfigTable {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let position = "\(error.source.begin.line):\(error.source.begin.column)"
            throw ConfigError(.syntax, "\(sourceName):\(position): not valid TOML: \(error.description)")
        } catch {
            throw ConfigError(.syntax, "\(sourceName): not valid TOML: \(error)")
        }
        return try copy(root, depth: 0, sourceName: sourceName)
    }

    private static func copy(_ table: TOMLTable, depth: Int, sourceName: String) throws(ConfigError) -> ConfigTable {
        var entries: [(key: String, value: ConfigValue)] = []
        for (key, value) in table {
            entries.append((key, try copy(value, depth: depth + 1, sourceName: sourceName)))
        }
        return ConfigTable(entries: entries.sorted { $0.key < $1.key })
    }

    private static func copy(
        _ value: any TOMLValueConvertible,
        depth: Int,
        sourceName: String
    ) throws(ConfigError) -> ConfigValue {
        guard depth <= ConfigLimits.nestingDepthMax else {
            throw ConfigError(
                .tooLarge,
                "\(sourceName): tables and arrays are nested more than \(ConfigLimits.nestingDepthMax) deep;"
                    + " a Lattice config needs 3 levels"
            )
        }
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? 0)
        case .bool: return .boolean(value.bool ?? false)
        case .date: return .temporal("date")
        case .time: return .temporal("time")
        case .dateTime: return .temporal("date-time")
        case .table:
            guard let table = value.table else { return .table(ConfigTable(entries: [])) }
            return .table(try copy(table, depth: depth, sourceName: sourceName))
        case .array:
            var elements: [ConfigValue] = []
            for element in value.array.map(Array.init) ?? [] {
                elements.append(try copy(element, depth: depth + 1, sourceName: sourceName))
            }
            return .array(elements)
        }
    }
}
