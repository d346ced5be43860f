import Logging

/// The swift-log handler of every Lattice process: one line per event, as logfmt (the
/// default) or JSON (`LogfmtFormatter`, `JSONLogFormatter` say exactly how).
public struct LineLogHandler: LogHandler {
    /// The logger's label, printed as `label`.
    public let label: String
    public let format: LogFormat
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
        format: LogFormat = .logfmt,
        logLevel: Logger.Level = .info,
        sink: any LogSink = StandardErrorLogSink(),
        metadataProvider: Logger.MetadataProvider? = nil,
        now: @escaping @Sendable () -> Int64 = RFC3339.nowNanoseconds
    ) {
        self.label = label
        self.format = format
        self.logLevel = logLevel
        self.sink = sink
        self.metadataProvider = metadataProvider
        self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats `event` as one line and writes it to the sink.
    public func log(event: LogEvent) {
        let record = LogRecord(
            event: event,
            label: label,
            handlerMetadata: metadata,
            provider: metadataProvider,
            nanosecondsSinceEpoch: now()
        )
        switch format {
        case .logfmt: sink.write(line: LogfmtFormatter.format(record))
        case .json: sink.write(line: JSONLogFormatter.format(record))
        }
    }
}
