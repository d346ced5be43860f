/// A value together with the place it came from, so a later check can name it.
struct Located<Value> {
    var value: Value
    /// `lattice.toml:12: peers[1].address`, or `environment LATTICE_LISTEN`.
    var location: String
    /// Whether the value came from an environment variable (relative paths then resolve
    /// against the working directory instead of the config file's directory).
    var isFromEnvironment = false
}

/// The text a configuration came from: its name for messages and its line map.
struct ConfigSource: Sendable {
    let name: String
    let map: ConfigSourceMap

    /// `lattice.toml:12: peers[1].public_key`, or without the line when it is unknown.
    func location(of path: String) -> String {
        guard let line = map.line(of: path) else { return "\(name): \(path)" }
        return "\(name):\(line): \(path)"
    }

    /// `peers[0] (line 14)`, for messages that point at a second place.
    func reference(to path: String) -> String {
        guard let line = map.line(of: path) else { return path }
        return "\(path) (line \(line))"
    }
}

/// Typed access to one TOML table, naming the field, the expected type and the line when
/// a value has the wrong type.
struct TableReader {
    let source: ConfigSource
    /// The table's own path: "" for the root, `peers[1]`, `sync`.
    let path: String
    let table: ConfigTable

    func fieldPath(_ key: String) -> String { ConfigPath.join(path, key) }

    func location(_ key: String) -> String { source.location(of: fieldPath(key)) }

    /// The string at `key`, `nil` when absent; throws when it is not a string.
    func string(_ key: String, expected: String) throws(ConfigError) -> Located<String>? {
        guard let value = table[key] else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, expected: expected, found: value) }
        return Located(value: text, location: location(key))
    }

    /// The string at `key`; throws a "required key is missing" error naming `hint` when absent.
    func requiredString(_ key: String, expected: String, hint: String) throws(ConfigError) -> Located<String> {
        guard let located = try string(key, expected: expected) else {
            throw ConfigError(.missingKey, "\(location(key)): required key is missing; \(hint)")
        }
        return located
    }

    /// The table at `key`, `nil` when absent; throws when it is not a table.
    func table(_ key: String) throws(ConfigError) -> TableReader? {
        guard let value = table[key] else { return nil }
        guard case .table(let inner) = value else { throw wrongType(key, expected: "a table", found: value) }
        return TableReader(source: source, path: fieldPath(key), table: inner)
    }

    /// The array of tables at `key` (`[[key]]`), at most `countMax` of them.
    func arrayOfTables(_ key: String, countMax: Int) throws(ConfigError) -> [TableReader] {
        guard let value = table[key] else { return [] }
        guard case .array(let elements) = value else {
            throw wrongType(key, expected: "an array of tables ([[\(key)]])", found: value)
        }
        guard elements.count <= countMax else {
            throw ConfigError(
                .tooLarge,
                "\(location(key)): \(elements.count) entries, more than the limit of \(countMax)"
            )
        }
        var readers: [TableReader] = []
        for (index, element) in elements.enumerated() {
            let elementPath = ConfigPath.element(fieldPath(key), index)
            guard case .table(let inner) = element else {
                throw ConfigError(
                    .wrongType,
                    "\(source.location(of: elementPath)): expected a table, found \(element.kindWithArticle)"
                )
            }
            readers.append(TableReader(source: source, path: elementPath, table: inner))
        }
        return readers
    }

    /// One warning per key of this table that is not in `known`, with a suggestion when a
    /// known key is a likely typo of it.
    func unknownKeyWarnings(known: [String]) -> [ConfigWarning] {
        table.entries.compactMap { entry in
            guard !known.contains(entry.key) else { return nil }
            var message = "\(location(entry.key)): unknown key, ignored"
            if let suggestion = known.min(by: { editDistance($0, entry.key) < editDistance($1, entry.key) }),
                editDistance(suggestion, entry.key) <= 2
            {
                message += "; did you mean \(suggestion)?"
            }
            return ConfigWarning(message)
        }
    }

    func wrongType(_ key: String, expected: String, found value: ConfigValue) -> ConfigError {
        ConfigError(.wrongType, "\(location(key)): expected \(expected), found \(value.kindWithArticle)")
    }
}

/// Levenshtein distance over Unicode scalars (keys are short, so the quadratic table is fine).
func editDistance(_ lhs: String, _ rhs: String) -> Int {
    let a = Array(lhs.unicodeScalars)
    let b = Array(rhs.unicodeScalars)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        previous = current
    }
    return previous[b.count]
}
