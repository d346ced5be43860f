import Logging

/// One log event reduced to what both formats print: fixed fields first (`ts`, `level`,
/// `label`, `msg`, and `error` when the event carries one), then metadata sorted by key.
/// Metadata merges the handler's, the metadata provider's and the event's own, later ones
/// winning. A metadata key equal to a fixed field's name is printed with a leading `_`.
struct LogRecord {
    static let fixedKeys: Set<String> = ["ts", "level", "label", "msg", "error"]

    var timestamp: String
    var level: String
    var label: String
    var message: String
    var error: String?
    var metadata: [(key: String, value: Logger.MetadataValue)]

    init(
        event: LogEvent,
        label: String,
        handlerMetadata: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        nanosecondsSinceEpoch: Int64
    ) {
        var merged = handlerMetadata
        if let provided = provider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let own = event.metadata {
            merged.merge(own) { _, new in new }
        }
        timestamp = RFC3339.format(nanosecondsSinceEpoch: nanosecondsSinceEpoch)
        level = event.level.rawValue
        self.label = label
        message = event.message.description
        error = event.error.map { String(describing: $0) }
        metadata = merged.map { key, value in (Self.fixedKeys.contains(key) ? "_" + key : key, value) }
            .sorted { $0.key < $1.key }
    }
}
