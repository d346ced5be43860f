/// The line on which each field of a TOML text is written.
///
/// TOMLKit does not expose the source positions toml++ keeps, so the loader finds lines
/// itself by scanning the text: table headers (`[sync]`, `[[peers]]`, counting array
/// elements from 0), `key = value` lines with bare, quoted and dotted keys, and skipping
/// the inside of multi-line strings and multi-line arrays.
///
/// Limits (documented in the config reference): a key inside an inline table or an inline
/// array maps to the line of the key holding that inline value; elements of an inline array
/// of tables (`peers = [{...}, {...}]`) have no line of their own; and when a key is defined
/// twice (which TOML forbids, so toml++ rejects it first) the first line wins.
struct ConfigSourceMap: Sendable {
    private var lines: [String: Int] = [:]

    /// Scans `text` once.
    init(text: String) {
        var scanner = Scanner()
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var bytes = Array(rawLine)
            if bytes.last == UInt8(ascii: "\r") {
                bytes.removeLast()
            }
            scanner.scan(line: bytes, number: lineNumber, into: &lines)
        }
    }

    /// The line where `path` is written, or else where its closest enclosing table or
    /// key is written; `nil` when none of them appears in the text.
    func line(of path: String) -> Int? {
        var current = Substring(path)
        while !current.isEmpty {
            if let line = lines[String(current)] {
                return line
            }
            current = Self.parent(of: current)
        }
        return nil
    }

    /// `peers[1].name` -> `peers[1]` -> `peers`; `a."b.c"` -> `a`.
    private static func parent(of path: Substring) -> Substring {
        if path.hasSuffix("]"), let open = path.lastIndex(of: "[") {
            return path[..<open]
        }
        if path.hasSuffix("\"") {
            var index = path.index(before: path.endIndex)
            while index > path.startIndex {
                index = path.index(before: index)
                if path[index] == "\"" && (index == path.startIndex || path[path.index(before: index)] != "\\") {
                    break
                }
            }
            let head = path[..<index]
            return head.hasSuffix(".") ? head.dropLast() : head
        }
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return path[..<dot]
    }
}

/// The line-by-line state of the scan.
private struct Scanner {
    /// The closing delimiter of a multi-line string the scan is inside of.
    var openMultilineString: [UInt8]?
    /// Open `[` and `{` of a value that continues on the next line.
    var valueDepth = 0
    /// The path of the table the following keys belong to.
    var tablePath = ""
    /// The current index of each array of tables, by path.
    var arrayIndex: [String: Int] = [:]

    mutating func scan(line: [UInt8], number: Int, into lines: inout [String: Int]) {
        var index = 0
        if let closing = openMultilineString {
            guard let end = Self.find(closing, in: line, from: 0) else { return }
            openMultilineString = nil
            scanValue(line, from: end + closing.count)
            return
        }
        if valueDepth > 0 {
            scanValue(line, from: 0)
            return
        }
        Self.skipSpaces(line, &index)
        guard index < line.count, line[index] != UInt8(ascii: "#") else { return }
        if line[index] == UInt8(ascii: "[") {
            scanHeader(line, from: index, number: number, into: &lines)
            return
        }
        guard let keys = Self.parseKey(line, &index) else { return }
        Self.skipSpaces(line, &index)
        guard index < line.count, line[index] == UInt8(ascii: "=") else { return }
        var path = tablePath
        for key in keys {
            path = ConfigPath.join(path, key)
            if lines[path] == nil {
                lines[path] = number
            }
        }
        scanValue(line, from: index + 1)
    }

    private mutating func scanHeader(_ line: [UInt8], from start: Int, number: Int, into lines: inout [String: Int]) {
        let isArray = start + 1 < line.count && line[start + 1] == UInt8(ascii: "[")
        var index = start + (isArray ? 2 : 1)
        guard let keys = Self.parseKey(line, &index), !keys.isEmpty else { return }
        var path = ""
        for (position, key) in keys.enumerated() {
            let candidate = ConfigPath.join(path, key)
            if isArray && position == keys.count - 1 {
                let next = (arrayIndex[candidate] ?? -1) + 1
                arrayIndex[candidate] = next
                if lines[candidate] == nil {
                    lines[candidate] = number
                }
                path = ConfigPath.element(candidate, next)
            } else if let current = arrayIndex[candidate] {
                path = ConfigPath.element(candidate, current)
            } else {
                path = candidate
            }
            if lines[path] == nil {
                lines[path] = number
            }
        }
        tablePath = path
    }

    /// Follows strings and brackets to the end of the line (or a comment), remembering a
    /// multi-line string or bracket that stays open.
    private mutating func scanValue(_ line: [UInt8], from start: Int) {
        var index = start
        while index < line.count {
            let byte = line[index]
            switch byte {
            case UInt8(ascii: "#"):
                return
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let triple = [byte, byte, byte]
                if Self.find(triple, in: line, from: index) == index {
                    guard let end = Self.find(triple, in: line, from: index + 3) else {
                        openMultilineString = triple
                        return
                    }
                    index = end + 3
                } else {
                    index = Self.endOfString(line, from: index)
                }
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                valueDepth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                valueDepth = max(0, valueDepth - 1)
            default:
                break
            }
            index += 1
        }
    }
}

extension Scanner {
    static func skipSpaces(_ line: [UInt8], _ index: inout Int) {
        while index < line.count && (line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "\t")) {
            index += 1
        }
    }

    /// The index just past the closing quote of the one-line string starting at `start`.
    static func endOfString(_ line: [UInt8], from start: Int) -> Int {
        let quote = line[start]
        var index = start + 1
        while index < line.count {
            if quote == UInt8(ascii: "\"") && line[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if line[index] == quote {
                return index + 1
            }
            index += 1
        }
        return line.count
    }

    static func find(_ needle: [UInt8], in line: [UInt8], from start: Int) -> Int? {
        guard needle.count <= line.count, start <= line.count - needle.count else { return nil }
        for index in start...(line.count - needle.count) where line[index..<index + needle.count].elementsEqual(needle)
        {
            return index
        }
        return nil
    }

    /// Parses a dotted key (`a.b`, `"quoted key".c`, `'literal'`) starting at `index`.
    static func parseKey(_ line: [UInt8], _ index: inout Int) -> [String]? {
        var keys: [String] = []
        while true {
            skipSpaces(line, &index)
            guard index < line.count else { return nil }
            let start = index
            if line[index] == UInt8(ascii: "\"") || line[index] == UInt8(ascii: "'") {
                index = endOfString(line, from: index)
                let inner = line[(start + 1)..<max(start + 1, index - 1)]
                keys.append(unescape(Array(inner), basic: line[start] == UInt8(ascii: "\"")))
            } else {
                while index < line.count && ConfigPath.isBareKeyByte(line[index]) {
                    index += 1
                }
                guard index > start else { return nil }
                keys.append(String(decoding: line[start..<index], as: UTF8.self))
            }
            skipSpaces(line, &index)
            guard index < line.count, line[index] == UInt8(ascii: ".") else { return keys }
            index += 1
        }
    }

    /// Undoes `\"` and `\\` in a basic-string key; other escapes are kept as written.
    private static func unescape(_ bytes: [UInt8], basic: Bool) -> String {
        guard basic else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") && index + 1 < bytes.count
                && (bytes[index + 1] == UInt8(ascii: "\"") || bytes[index + 1] == UInt8(ascii: "\\"))
            {
                out.append(bytes[index + 1])
                index += 2
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
