import Logging

/// Formats log records as one JSON object per line:
/// `{"label":"lattice.admin","level":"info","msg":"admin socket ready","path":"/run/l.sock","ts":"..."}`.
///
/// Fixed fields (`ts`, `level`, `label`, `msg`, `error`) and metadata share the top level;
/// all keys are sorted. Nested metadata stays nested (dictionaries as objects, arrays as
/// arrays); every scalar is a JSON string.
enum JSONLogFormatter {
    static func format(_ record: LogRecord) -> String {
        var object: [String: JSONValue] = [
            "ts": .string(record.timestamp), "level": .string(record.level), "label": .string(record.label),
            "msg": .string(record.message),
        ]
        if let error = record.error {
            object["error"] = .string(error)
        }
        for (key, value) in record.metadata {
            object[key] = json(value)
        }
        return JSONValue.object(object).serialized
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }
}
