import Foundation
import Logging
import Testing

@testable import LatticeOps

/// 2026-11-25T17:47:31.536Z in nanoseconds since the epoch.
let fixedNanoseconds: Int64 = 1_795_628_851_536_000_000

func makeLogger(_ format: LogFormat, sink: MemoryLogSink, level: Logger.Level = .info) -> Logger {
    let factory = LatticeLogging.handlerFactory(format: format, level: level, sink: sink) { fixedNanoseconds }
    return Logger(label: "lattice.test") { label in factory(label, nil) }
}

struct SampleError: Error, CustomStringConvertible {
    var description: String { "disk full" }
}

@Suite("Log handlers")
struct LogHandlerTests {
    @Test("timestamps are RFC 3339 UTC with milliseconds, before and after the epoch")
    func test_rfc3339_formatsUTC() {
        #expect(RFC3339.format(nanosecondsSinceEpoch: fixedNanoseconds) == "2026-11-25T17:47:31.536Z")
        #expect(RFC3339.format(nanosecondsSinceEpoch: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(nanosecondsSinceEpoch: -1_000_000) == "1969-12-31T23:59:59.999Z")
    }

    @Test("logfmt: fixed fields first, metadata sorted, one line per event")
    func test_logfmt_fieldOrder() {
        let sink = MemoryLogSink()
        var logger = makeLogger(.logfmt, sink: sink)
        logger[metadataKey: "zone"] = "eu"
        logger.info("admin socket ready", metadata: ["path": "/run/l.sock", "b": "2", "a": "1"])
        #expect(
            sink.lines == [
                "ts=2026-11-25T17:47:31.536Z level=info label=lattice.test msg=\"admin socket ready\""
                    + " a=1 b=2 path=/run/l.sock zone=eu"
            ]
        )
    }

    @Test("logfmt: values with spaces, quotes, equals, backslashes and control characters are quoted and escaped")
    func test_logfmt_escaping() {
        let sink = MemoryLogSink()
        let logger = makeLogger(.logfmt, sink: sink)
        logger.warning(
            "x",
            metadata: [
                "space": "a b", "quote": "say \"hi\"", "eq": "a=b", "backslash": #"C:\dir"#,
                "newline": "one\ntwo", "bell": "\u{07}", "empty": "", "nbsp": "a\u{A0}b", "unicode": "größe",
            ]
        )
        let expected =
            "ts=2026-11-25T17:47:31.536Z level=warning label=lattice.test msg=x"
            + #" backslash="C:\\dir" bell="\u0007" empty="" eq="a=b" nbsp="a"# + "\u{A0}" + #"b" newline="one\ntwo""#
            + #" quote="say \"hi\"" space="a b" unicode=größe"#
        #expect(sink.lines == [expected])
    }

    @Test("logfmt: nested metadata flattens, arrays print as one value, errors get a field")
    func test_logfmt_nestedAndError() {
        let sink = MemoryLogSink()
        let logger = makeLogger(.logfmt, sink: sink)
        logger.log(
            level: .error,
            "write failed",
            error: SampleError(),
            metadata: ["peer": ["name": "edge-2", "rtt_ms": "12"], "tenants": ["a", "b"], "msg": "clash"]
        )
        #expect(
            sink.lines == [
                "ts=2026-11-25T17:47:31.536Z level=error label=lattice.test msg=\"write failed\" error=\"disk full\""
                    + " _msg=clash peer.name=edge-2 peer.rtt_ms=12 tenants=\"[a, b]\""
            ]
        )
    }

    @Test("events below the handler's level are dropped")
    func test_levelFilter() {
        let sink = MemoryLogSink()
        let logger = makeLogger(.logfmt, sink: sink, level: .notice)
        logger.info("quiet")
        logger.notice("loud")
        #expect(sink.lines.count == 1)
        #expect(sink.lines.first?.contains("msg=loud") == true)
    }

    @Test("JSON: one valid object per line, keys sorted, nesting kept, strings escaped")
    func test_json_isValidAndSorted() throws {
        let sink = MemoryLogSink()
        let logger = makeLogger(.json, sink: sink)
        logger.info(
            "quote \" and\nnewline",
            metadata: ["peer": ["name": "edge \"2\""], "tenants": ["a", "b"], "count": "3", "ctl": "\u{01}"]
        )
        let line = try #require(sink.lines.first)
        #expect(!line.contains("\n"))
        #expect(
            line
                == #"{"count":"3","ctl":"\u0001","label":"lattice.test","level":"info","#
                + #""msg":"quote \" and\nnewline","peer":{"name":"edge \"2\""},"tenants":["a","b"],"#
                + #""ts":"2026-11-25T17:47:31.536Z"}"#
        )
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(parsed?["msg"] as? String == "quote \" and\nnewline")
        #expect((parsed?["peer"] as? [String: String])?["name"] == "edge \"2\"")
    }

    @Test("JSON: the error field and renamed clashing metadata keys")
    func test_json_errorAndClash() throws {
        let sink = MemoryLogSink()
        let logger = makeLogger(.json, sink: sink)
        logger.log(level: .critical, "stop", error: SampleError(), metadata: ["level": "x"])
        #expect(
            sink.lines == [
                #"{"_level":"x","error":"disk full","label":"lattice.test","level":"critical","msg":"stop","#
                    + #""ts":"2026-11-25T17:47:31.536Z"}"#
            ]
        )
    }
}
