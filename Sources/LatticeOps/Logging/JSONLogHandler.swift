import Logging

/// A swift-log handler writing one JSON object per line:
/// `{"label":"lattice.admin","level":"info","msg":"admin socket ready","path":"/run/l.sock","ts":"..."}`.
///
/// Fixed fields (`ts`, `level`, `label`, `msg`, `error`) and metadata share the top level;
/// all keys are sorted. Nested metadata stays nested (dictionaries as objects, arrays as
/// arrays); every scalar is a JSON string.
public struct JSONLogHandler: LogHandler {
    /// The logger's label, printed as `"label"`.
    public let label: String
    /// Events below this level are dropped by `Logger` before they reach the handler.
    public var logLevel: Logger.Level
    /// Metadata attached to every event of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Adds contextual metadata (for example from task-locals) to each event.
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: any LogSink
    private let now: @Sendable () -> Int64

    /// Makes a handler. `now` returns nanoseconds since the Unix epoch (injected in tests).
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        sink: any LogSink = StandardErrorLogSink(),
        metadataProvider: Logger.MetadataProvider? = nil,
        now: @escaping @Sendable () -> Int64 = RFC3339.nowNanoseconds
    ) {
        self.label = label
        self.logLevel = logLevel
        self.sink = sink
        self.metadataProvider = metadataProvider
        self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats `event` as one JSON line and writes it to the sink.
    public func log(event: LogEvent) {
        let record = LogRecord(
            event: event,
            label: label,
            handlerMetadata: metadata,
            provider: metadataProvider,
            nanosecondsSinceEpoch: now()
        )
        sink.write(line: Self.format(record))
    }

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
