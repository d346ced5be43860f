/// A strict parser of the Prometheus text exposition format 0.0.4, written for these tests
/// because Python's `prometheus_client` is not installed on every machine that runs them.
/// It follows https://github.com/prometheus/docs/blob/main/content/docs/instrumenting/exposition_formats.md
/// and also enforces Lattice's own rules (HELP and TYPE on every family).
struct PrometheusTextParser {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var name: String
        var type: String?
        var help: String?
        var samples: [Sample] = []
    }

    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    private(set) var families: [String: Family] = [:]
    private var finished: Set<String> = []
    private var current: String?

    static func parse(_ text: String) throws -> [String: Family] {
        var parser = PrometheusTextParser()
        guard text.isEmpty || text.hasSuffix("\n") else { throw ParseError(line: 0, reason: "no final newline") }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            try parser.consume(String(line), number: index + 1)
        }
        for family in parser.families.values {
            try Self.checkFamily(family)
        }
        return parser.families
    }

    private mutating func consume(_ line: String, number: Int) throws {
        func fail(_ reason: String) -> ParseError { ParseError(line: number, reason: reason) }
        if line.isEmpty { return }
        if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
            let isHelp = line.hasPrefix("# HELP ")
            let rest = line.dropFirst(7)
            let name = String(rest.prefix { $0 != " " })
            guard Self.isMetricName(name) else { throw fail("bad metric name \(name)") }
            let value = String(rest.dropFirst(name.count + 1))
            try enter(name, number: number)
            if isHelp {
                guard families[name]?.help == nil else { throw fail("second HELP for \(name)") }
                families[name]?.help = try Self.unescapeHelp(value, fail: fail)
            } else {
                guard families[name]?.type == nil, families[name]?.samples.isEmpty == true else {
                    throw fail("TYPE for \(name) repeated or after its samples")
                }
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(value) else {
                    throw fail("unknown type \(value)")
                }
                families[name]?.type = value
            }
            return
        }
        if line.hasPrefix("#") { return }
        let sample = try Self.parseSample(line, fail: fail)
        let family = familyName(of: sample.name)
        try enter(family, number: number)
        families[family]?.samples.append(sample)
    }

    /// Moves to family `name`, refusing to come back to a family that was left.
    private mutating func enter(_ name: String, number: Int) throws {
        if current == name { return }
        if let current { finished.insert(current) }
        guard !finished.contains(name) else {
            throw ParseError(line: number, reason: "lines of \(name) are not contiguous")
        }
        current = name
        if families[name] == nil { families[name] = Family(name: name) }
    }

    private func familyName(of sampleName: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sampleName.hasSuffix(suffix) {
            let base = String(sampleName.dropLast(suffix.count))
            if families[base]?.type == "histogram" || families[base]?.type == "summary" { return base }
        }
        return sampleName
    }

    static func parseSample(_ line: String, fail: (String) -> ParseError) throws -> Sample {
        let chars = Array(line)
        var index = 0
        while index < chars.count && chars[index] != "{" && chars[index] != " " { index += 1 }
        let name = String(chars[0..<index])
        guard isMetricName(name) else { throw fail("bad metric name \(name)") }
        var labels: [String: String] = [:]
        if index < chars.count && chars[index] == "{" {
            index += 1
            while index < chars.count && chars[index] != "}" {
                let start = index
                while index < chars.count && chars[index] != "=" { index += 1 }
                let label = String(chars[start..<index])
                guard isLabelName(label), labels[label] == nil else { throw fail("bad or repeated label \(label)") }
                guard index + 1 < chars.count, chars[index + 1] == "\"" else { throw fail("label value not quoted") }
                index += 2
                var value = ""
                while index < chars.count && chars[index] != "\"" {
                    if chars[index] == "\\" {
                        guard index + 1 < chars.count else { throw fail("dangling escape") }
                        switch chars[index + 1] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape in label value")
                        }
                        index += 2
                        continue
                    }
                    value.append(chars[index])
                    index += 1
                }
                guard index < chars.count else { throw fail("unterminated label value") }
                labels[label] = value
                index += 1
                if index < chars.count && chars[index] == "," { index += 1 }
            }
            guard index < chars.count else { throw fail("unterminated label set") }
            index += 1
        }
        guard index < chars.count, chars[index] == " " else { throw fail("no space before the value") }
        let fields = String(chars[(index + 1)...]).split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(fields.count), let value = parseValue(String(fields[0])) else {
            throw fail("bad value in \(line)")
        }
        if fields.count == 2 && Int64(fields[1]) == nil { throw fail("bad timestamp") }
        return Sample(name: name, labels: labels, value: value)
    }

    static func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    static func unescapeHelp(_ text: String, fail: (String) -> ParseError) throws -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case "\\": out.append("\\")
                case "n": out.append("\n")
                default: throw fail("bad escape in HELP")
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        guard !escaping else { throw fail("dangling escape in HELP") }
        return out
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else {
            return false
        }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// Histogram families need cumulative buckets ending in `+Inf` equal to `_count`.
    static func checkFamily(_ family: Family) throws {
        func fail(_ reason: String) -> ParseError { ParseError(line: 0, reason: "\(family.name): \(reason)") }
        guard family.type != nil else { throw fail("no TYPE line") }
        guard family.type == "histogram" else {
            guard family.samples.allSatisfy({ $0.name == family.name }) else { throw fail("sample name mismatch") }
            return
        }
        var bySeries: [[String: String]: [Sample]] = [:]
        for sample in family.samples {
            var key = sample.labels
            key["le"] = nil
            bySeries[key, default: []].append(sample)
        }
        for samples in bySeries.values {
            let buckets = samples.filter { $0.name == family.name + "_bucket" }
            let bounds = buckets.compactMap { $0.labels["le"].flatMap(parseValue) }
            guard bounds.count == buckets.count, bounds.last == .infinity, bounds == bounds.sorted() else {
                throw fail("buckets missing le, unsorted, or without +Inf")
            }
            let counts = buckets.map(\.value)
            guard counts == counts.sorted() else { throw fail("bucket counts are not cumulative") }
            guard let count = samples.first(where: { $0.name == family.name + "_count" })?.value,
                samples.contains(where: { $0.name == family.name + "_sum" }), counts.last == count
            else { throw fail("_count or _sum missing, or +Inf bucket differs from _count") }
        }
    }
}
